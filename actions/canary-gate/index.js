"use strict";
require("../../scripts/action-shim.js").run("canary-gate");
