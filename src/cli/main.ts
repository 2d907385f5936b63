#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { WorkerFault } from '../parallel/worker-fault.js';
import { NumericalFault } from '../train/numerical-fault.js';
import { UserError } from '../util/errors.js';
import { benchBuilder, runBenchCommand } from './bench-command.js';
import { helpAsked, refuseAfterDashes, refuseRepeatedFlags, refuseStandardInput } from './raw-flags.js';
import { evalBuilder, runEval } from './eval-command.js';
import { describeMissingValue } from './flag-values.js';
import { predictBuilder, runPredict } from './predict-command.js';
import { privacyBuilder, runPrivacy } from './privacy-command.js';
import { messageForUser } from './setting-flags.js';
import { runTrain, trainBuilder } from './train-command.js';

/** One line for anything the user can fix; a stack trace only for our own bugs, and only on request. */
function fail(error: unknown): never {
  if (error instanceof UserError) {
    process.stderr.write(`shardtrain: ${messageForUser(error)}\n`);
    process.exit(error.exitCode);
  }
  // Faults of the run, not of the code: a job that failed twice, a loss that is not finite.
  if (error instanceof WorkerFault || error instanceof NumericalFault) {
    process.stderr.write(`shardtrain: ${error.message}\n`);
    process.exit(1);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`shardtrain: internal error: ${message.split('\n')[0]}\n`);
  if (process.env.SHARDTRAIN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('shardtrain: set SHARDTRAIN_DEBUG=1 for the stack trace\n');
  process.exit(1);
}

async function main(): Promise<void> {
  // A reader that stops early (`| head`) closes the pipe: that ends the output, it is no error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const args = hideBin(process.argv);
  refuseRepeatedFlags(args);
  refuseAfterDashes(args);
  refuseStandardInput(args);
  // yargs renders every command's help before running it, whether or not it is shown; wrapping that
  // text measures each word's width and took a quarter of a refused run's half second.
  const helpShown = helpAsked(args);
  await yargs(args)
    .scriptName('shardtrain')
    .usage('$0 <command> [options]\n\nData-parallel training of a small CNN on worker threads.')
    .command('train', 'train the network and report test accuracy after each epoch', trainBuilder, runTrain)
    .command('eval', 'test loss, accuracy, per-class accuracy and confusion matrix of saved weights', evalBuilder, runEval)
    .command('predict <images..>', 'classify PNG images and .npy arrays with saved weights', predictBuilder, runPredict)
    .command('bench', 'measure how training throughput scales with the thread count', benchBuilder, runBenchCommand)
    .command('privacy', 'the epsilon DP-SGD spends for a noise multiplier, or the noise multiplier for a target epsilon', privacyBuilder, runPrivacy)
    .demandCommand(1, 'name a command: train, eval, predict, bench or privacy')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(helpShown ? Math.min(110, process.stdout.columns ?? 110) : null)
    .fail((message, error) => {
      // yargs reports its own parse errors as a message, re-throws what a coerce function threw as
      // a YError (losing the UserError class), and passes handler errors through unchanged.
      if (error && error.name !== 'YError') fail(error);
      fail(new UserError(describeMissingValue((error?.message ?? message).replace(/\s+/g, ' ').trim())));
    })
    .parseAsync();
}

main().catch(fail);
