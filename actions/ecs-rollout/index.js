"use strict";
require("../../scripts/action-shim.js").run("ecs-rollout");
