// ctest fixture: the e2e tests need their npm dependencies; say how to get them, never skip.
import { requireNodeModules, presenceBinary } from './server.mjs';

try {
  requireNodeModules();
  presenceBinary();
  console.log('e2e dependencies present');
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  process.exit(1);
}
