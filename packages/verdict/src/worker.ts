#!/usr/bin/env node
// The `verdict-worker` command of the published package.
import "@verdict/worker";
