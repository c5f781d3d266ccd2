/** `populator sumbit`: says so, suggests the closest command, exits 2 (a usage error). */
import type { Hook } from '@oclif/core';
import { closestCommand } from '../cli/suggest.js';
import { EXIT_CODES } from '../domain/errors.js';

const hook: Hook<'command_not_found'> = async function (opts) {
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const suggestion = closestCommand(opts.id, visible);
  const bin = opts.config.bin;
  this.error(
    `${opts.id} is not a ${bin} command.${suggestion ? ` Did you mean \`${bin} ${suggestion}\`?` : ''} ` +
      `\`${bin} --help\` lists the commands.`,
    { exit: EXIT_CODES.usage },
  );
};

export default hook;
