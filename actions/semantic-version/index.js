"use strict";
require("../../scripts/action-shim.js").run("semantic-version");
