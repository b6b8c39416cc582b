#!/usr/bin/env node
// The `verdict` command of the published package: the CLI, bundled with its workspace packages.
import "@verdict/cli";
