"use strict";
require("../shim.js").run("gitops-update");
