/** Writes the Scala copy of the shared contract (`npm run generate`). */
import { writeFileSync } from 'node:fs';
import { renderScalaContract, SCALA_CONTRACT_PATH } from './scala-contract.js';

writeFileSync(SCALA_CONTRACT_PATH, renderScalaContract());
process.stderr.write(`wrote ${SCALA_CONTRACT_PATH}\n`);
