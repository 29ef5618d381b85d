"use strict";
require("../shim.js").run("ecr-push");
