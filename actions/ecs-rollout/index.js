"use strict";
require("../shim.js").run("ecs-rollout");
