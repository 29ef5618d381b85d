"use strict";
require("../shim.js").run("semantic-version");
