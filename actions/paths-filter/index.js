"use strict";
require("../shim.js").run("paths-filter");
