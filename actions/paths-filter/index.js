"use strict";
require("../../scripts/action-shim.js").run("paths-filter");
