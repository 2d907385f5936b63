#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../util/errors.js';
import { runTrain, trainBuilder } from './train-command.js';

/** One line for anything the user can fix; a stack trace only for our own bugs, and only on request. */
function fail(error: unknown): never {
  if (error instanceof UserError) {
    process.stderr.write(`shardtrain: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`shardtrain: internal error: ${message.split('\n')[0]}\n`);
  if (process.env.SHARDTRAIN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('shardtrain: set SHARDTRAIN_DEBUG=1 for the stack trace\n');
  process.exit(1);
}

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('shardtrain')
    // A flag given twice takes its last value, as in most command lines, instead of becoming an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .usage('$0 <command> [options]\n\nData-parallel training of a small CNN on worker threads.')
    .command('train', 'train the network and report test accuracy after each epoch', trainBuilder, runTrain)
    .demandCommand(1, 'name a command: train')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, error) => {
      // yargs reports its own parse errors as a message, re-throws what a coerce function threw as
      // a YError (losing the UserError class), and passes handler errors through unchanged.
      if (error && error.name !== 'YError') fail(error);
      fail(new UserError((error?.message ?? message).replace(/\s+/g, ' ').trim()));
    })
    .parseAsync();
}

main().catch(fail);
