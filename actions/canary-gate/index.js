"use strict";
require("../shim.js").run("canary-gate");
