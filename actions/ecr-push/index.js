"use strict";
require("../../scripts/action-shim.js").run("ecr-push");
