#!/usr/bin/env node
// Entry point of the `facetally` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the package's `prepare` script) or `npm run build`.
import { main } from '../dist/cli/main.js';

await main();
