import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/model/stack/index.js';
import { readNpz } from '../src/data/npz.js';
import { CLI, expectRefused, runCli, runCliAsync, temporaryDirectories, trainJson, withOverrides, withoutPrefixWarnings } from './helpers/cli.js';

const fresh = temporaryDirectories('train');
const MODELS = new URL('./fixtures/models/', import.meta.url).pathname;
const tiny = ['--train-count', '200', '--test-count', '50', '--threads', '2'];

describe('shardtrain train', () => {
  it('prints a header, the model summary, one line per epoch and the final test accuracy', () => {
    const r = runCli(['train', '--epochs', '2', ...tiny]);
    expect(r.status, r.stderr).toBe(0);
    const [header, ...rest] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^shardtrain: embedded MNIST .* 200 train \/ 50 test 28x28 images, 10 classes; 9,586 parameters, float32, 2 thread/);
    const summaryEnd = rest.findIndex((l) => l.startsWith('multiply-adds per sample:'));
    expect(rest.slice(0, summaryEnd + 1).join('\n')).toMatch(/^input 1x28x28, 10 classes\n#  layer .*\n-+\n1  conv16k8 .*\n(.*\n){4}6  dense10 .*\n-+\nparameters: 9,586\nmultiply-adds per sample: 623,952 forward, 1,420,272 forward and backward$/);
    const lines = rest.slice(summaryEnd + 1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^epoch 1\/2 {2}train loss \d+\.\d{4} {2}test loss \d+\.\d{4} {2}test acc \d+\/50 \(\d+\.\d\d%\) {2}\d+ samples\/s {2}\d+\.\d s$/);
    expect(lines[2]).toMatch(/^test accuracy \d+\/50 \(\d+\.\d\d%\)$/);
    // No progress bar without a terminal; the embedded digits are stored by class, so 200 images
    // are all zeros, and 50 test images too.
    expect(r.stderr).toBe(
      'shardtrain: warning: --train-count 200 takes the first 200 training images, which hold 1 of the 10 classes of all 8004 training images; the first 7222 hold all 10\n' +
        'shardtrain: warning: --test-count 50 takes the first 50 test images, which hold 1 of the 10 classes of all 1996 test images; the first 1802 hold all 10\n',
    );
  });

  it('--model takes a preset, the compact form or a JSON file, and the summary counts its parameters', () => {
    for (const [model, parameters] of [['opacus-mnist', 26010], ['opacus-mnist-tanh', 26010], ['conv4k3,tanh,maxpool2,flatten,dense', 6810], [MODELS + 'small.json', 6810]] as const) {
      const r = runCli(['train', '--epochs', '1', '--json', '--model', String(model), ...tiny]);
      expect(r.status, r.stderr).toBe(0);
      expect(trainJson(r.stdout).model.parameters, String(model)).toBe(parameters);
    }
  });

  it('a reader that closes the pipe early (| head -1) ends the run quietly, exit 0, no stack trace', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" train --epochs 2 ${tiny.join(' ')} | head -1; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^shardtrain: embedded MNIST/);
    expect(withoutPrefixWarnings(r.stderr)).toBe('');
    expect(r.status).toBe(0);
  });

  it('--json prints the model summary, then one JSON object per epoch, on stdout and nothing else', () => {
    const r = runCli(['train', '--epochs', '2', '--json', ...tiny]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    const { model, epochs } = trainJson(r.stdout);
    expect(model.parameters).toBe(9586);
    expect(model.rows).toHaveLength(6);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of epochs) {
      expect(e).toMatchObject({ epochs: 2, testTotal: 50, samples: 200, steps: 2 });
      expect(e.testAccuracy).toBeCloseTo(e.testCorrect / 50, 12);
      expect(Number.isFinite(e.trainLoss) && Number.isFinite(e.testLoss) && e.samplesPerSec > 0).toBe(true);
    }
  });

  it('--save writes the seed names and shapes in the dtype trained, plus the configuration, loadable by np.load', async () => {
    const dir = fresh();
    const file = join(dir, 'weights.npz');
    const r = runCli(['train', '--epochs', '1', '--dtype', 'float64', '--save', file, '--kernel1', '7x5', '--filters2', '6', ...tiny]);
    expect(r.status, r.stderr).toBe(0);
    // 28x28 images, 7x5 kernels: conv1 22x24; conv2 4x4 stride 2: 10x11.
    const saved = await readNpz(file);
    expect(Object.fromEntries([...saved].map(([k, a]) => [k, [a.dtype, a.shape]]))).toEqual({
      kern: ['f8', [16, 7, 5]],
      kb: ['f8', [16]],
      kern2: ['f8', [6, 16, 4, 4]],
      kb2: ['f8', [6]],
      w: ['f8', [10, 6, 10, 11]],
      b: ['f8', [10]],
      image_shape: ['i4', [2]],
      classes: ['i4', []],
      conv1: ['i4', [4]],
      conv2: ['i4', [4]],
    });
    expect(Array.from(saved.get('conv1')!.data as Int32Array)).toEqual([16, 7, 5, 1]);
    expect(readdirSync(dir)).toEqual(['weights.npz']); // no temporary file left behind
    const py = spawnSync('python3', ['-c', `import numpy as np; z = np.load(${JSON.stringify(file)}); print(z['w'].dtype, z['w'].shape, int(z['classes']))`], { encoding: 'utf8' });
    expect(py.stdout.trim(), py.stderr).toBe('float64 (10, 6, 10, 11) 10');
  });

  it('the same seed gives the same epoch results on repeat', () => {
    const a = runCli(['train', '--epochs', '1', '--json', '--seed', '5', ...tiny]);
    const b = runCli(['train', '--epochs', '1', '--json', '--seed', '5', '--threads', '1', '--train-count', '200', '--test-count', '50']);
    const strip = (s: string) => trainJson(s).epochs.map((e) => JSON.stringify({ ...e, samplesPerSec: 0, seconds: 0 }));
    expect(strip(b.stdout)).toEqual(strip(a.stdout));
  });

  it('warns when --train-count or --test-count takes a prefix short of some classes, and only then', () => {
    const file = new URL('./fixtures/data/ds_seed.npz', import.meta.url).pathname; // train labels 3 1 4 1 5 9
    const short = runCli(['train', '--data', file, '--model', 'flatten,dense', '--epochs', '1', '--batch-size', '2', '--train-count', '5', '--test-count', '3']);
    expect(short.status, short.stderr).toBe(0);
    expect(short.stderr).toBe(
      // Labels run to 9 in a file whose training images hold five of them: the network has ten outputs.
      `shardtrain: warning: ${file}: the training labels run to 9, so the network has 10 classes, but only 5 of them have training images\n` +
        'shardtrain: warning: --train-count 5 takes the first 5 training images, which hold 4 of the 5 classes of all 6 training images; the first 6 hold all 5\n',
    );
    const whole = runCli(['train', '--epochs', '1', '--batch-size', '500', '--threads', '2', '--train-count', '7222', '--test-count', '1802']);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stderr).toBe('');
  });

  it('--help shows help even beside an empty value', () => {
    const r = runCli(['train', '--help', '--epochs', '']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('--epochs');
  });

  it('more threads than Node allows listeners on one signal by default (12 > 10): no warning', () => {
    const r = runCli(['train', '--epochs', '1', ...withOverrides(tiny, ['--threads', '12'])]);
    expect(r.status, r.stderr).toBe(0);
    expect(withoutPrefixWarnings(r.stderr)).toBe('');
  });
});

describe('shardtrain train refuses bad input in one line with exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a non-numeric --epochs', ['--epochs', 'ten'], /^shardtrain: --epochs ten: not a decimal number$/],
    // yargs converts with Number(): 0x10 would be 16, 0b11 3, and 1e-400 seed 0.
    ['a hexadecimal --seed', ['--seed', '0x10'], /^shardtrain: --seed 0x10: not a decimal number$/],
    ['a binary --batch-size=', ['--batch-size=0b11'], /^shardtrain: --batch-size=0b11: not a decimal number$/],
    ['a --seed that underflows to 0', ['--seed', '1e-400'], /^shardtrain: --seed 1e-400: too small to be told from 0$/],
    ['an infinite --lr', ['--lr', 'Infinity'], /^shardtrain: --lr Infinity: not a decimal number$/],
    ['a fractional --batch-size', ['--batch-size', '2.5'], /--batch-size must be a whole number/],
    ['zero --threads', ['--threads', '0'], /--threads must be a whole number from 1/],
    ['an unknown --dtype', ['--dtype', 'float16'], /^shardtrain: --dtype must be one of "float32", "float64", got "float16"$/],
    ['an unknown --rng', ['--rng', 'mersenne'], /rng/],
    ['a negative --lr', ['--lr', '-1'], /--lr must be a positive number/],
    ['--beta1 of 1', ['--beta1', '1'], /--beta1 must be at least 0 and below 1/],
    ['a malformed --kernel1', ['--kernel1', '8by8'], /--kernel1 must be a size like 8 or 8x6/],
    ['a kernel larger than the image', ['--kernel1', '30'], /--kernel1 30x30 does not fit the 28x28 images/],
    ['a second kernel larger than conv1 output', ['--kernel1', '20', '--kernel2', '10'], /--kernel2 10x10 does not fit conv1's 9x9 output/],
    ['an unknown flag, named before yargs takes what follows as its value', ['--epohcs', '3'], /^shardtrain: --epohcs: no such flag here \(--help lists them\)$/],
    // yargs would add the two up (2 + 1 = 3 epochs); refusing is the only safe reading.
    ['a flag given twice', ['--seed', '2', '--seed', '1'], /--seed is given more than once/],
    // yargs would quietly train with the defaults of a flag left without its value.
    ['--epochs with no value', ['--epochs'], /^shardtrain: --epochs needs a value$/],
    ['--threads with no value before another flag', ['--threads', '--seed', '1'], /^shardtrain: --threads needs a value$/],
    ['--dtype with no value', ['--dtype'], /^shardtrain: --dtype needs a value$/],
    // yargs reads an empty value as 0 for a number flag.
    ['an empty --batch-size', ['--batch-size', ''], /^shardtrain: --batch-size: the value is empty$/],
    ['an empty --lr=', ['--lr='], /^shardtrain: --lr: the value is empty$/],
    ['an empty --batchSize, as yargs also names it', ['--batchSize', ''], /^shardtrain: --batchSize: the value is empty$/],
    ['--json= with nothing after it, which yargs reads as no JSON', ['--json='], /^shardtrain: --json=: --json is a switch and takes no value$/],
    // yargs reads any value of a switch but true as false: private training asked for, ordinary training done.
    ['--dp=yes, which yargs would read as no privacy', ['--dp=yes'], /^shardtrain: --dp=yes: --dp is a switch: give --dp or --no-dp \(or =true, =false\)$/],
    ['--json=2', ['--json=2'], /^shardtrain: --json=2: --json is a switch: give --json or --no-json \(or =true, =false\)$/],
    ['an --epochs of spaces', ['--epochs', ' '], /^shardtrain: --epochs: the value is empty$/],
    ['--no-data, which yargs reads as a path of false', ['--no-data'], /^shardtrain: --no-data: --data takes a value, and cannot be negated$/],
    ['a flag given twice, once in camelCase', ['--batch-size', '10', '--batchSize', '20'], /^shardtrain: --batch-size is given more than once$/],
    // --json takes no value: the empty argument after it is a stray argument, not its value.
    ['an empty argument after --json', ['--json', ''], /^shardtrain: Unknown argument: ""$/],
    // Node would fire a longer timer after 1 ms, and every step would be taken for hung.
    ['a --timeout past the timer limit', ['--timeout', '3000000'], /^shardtrain: --timeout must be a positive number up to 2147483, got 3000000$/],
    // Timers count whole milliseconds; this was an internal error, exit 1.
    ['a --timeout below a millisecond', ['--timeout', '0.0009'], /^shardtrain: --timeout must be at least 0\.001 \(one millisecond, a timer's step\), got 0\.0009$/],
    // '--help=no' is no request for help: it had switched the checks of every other value off.
    ['--help=no', ['--help=no'], /^shardtrain: --help=no: --help is a switch: give --help or --no-help \(or =true, =false\)$/],
    ['a bad value beside --help=false, which asks for no help', ['--lr=0x2', '--help=false'], /^shardtrain: --lr=0x2: not a decimal number$/],
    ['- as a path, which yargs drops', ['--data', '-'], /^shardtrain: -: shardtrain reads files, not standard input; give a path \(\.\/- for a file named -\)$/],
    ['an unknown layer in --model', ['--model', 'conv4k3,relu,pool2,flatten,dense'], /^shardtrain: --model conv4k3,relu,pool2,flatten,dense: layer 3 \(pool2\): unknown layer 'pool'/],
    ['a --model kernel larger than the image', ['--model', 'conv4k30,relu,flatten,dense'], /^shardtrain: --model conv4k30,relu,flatten,dense: layer 1 \(conv4k30\): the 30x30 kernel is larger than its 28x28 input/],
    ['a --model that shrinks to nothing', ['--model', 'maxpool2,maxpool2,maxpool2,maxpool2,maxpool2,flatten,dense'], /layer 5 \(maxpool2\): the 2x2 pool is larger than its 1x1 input/],
    ['a --model size of zero', ['--model', 'conv0k3,flatten,dense'], /layer 1 \(conv0k3\): conv's output channels must be at least 1, got 0/],
    ['a last dense layer of another width than the classes', ['--model', 'conv4k3,relu,flatten,dense7'], /layer 4 \(dense7\): the last dense layer has 7 outputs but the data has 10 classes$/],
    ['dense without flatten', ['--model', 'conv4k3,relu,dense'], /layer 3 \(dense10\): dense needs a flat input, .*: put a flatten before it$/],
    ['a --model JSON file that is missing', ['--model', '/nonexistent/net.json'], /^shardtrain: --model \/nonexistent\/net.json: no such file$/],
    ['a --model JSON file named in capitals', ['--model', '/nonexistent/net.JSON'], /^shardtrain: --model \/nonexistent\/net.JSON: no such file$/],
    ['a --model path not ending in .json (such as a pipe)', ['--model', '/dev/fd/63'], /^shardtrain: --model \/dev\/fd\/63: not a list of layers \(they hold no '\/'\), and a network is read from a file only when its name ends in \.json$/],
    ['a --model JSON file that does not parse', ['--model', MODELS + 'trailing_comma.json'], /--model .*trailing_comma.json: the JSON description does not parse at line 1, column 53/],
    ['seed flags with another --model', ['--model', 'opacus-mnist', '--filters1', '4'], /^shardtrain: --filters1 sizes the seed network; --model opacus-mnist describes its own layers$/],
    [
      'gradient slots past the memory limit',
      ['--model', 'conv256k3p1,relu,conv256k3p1,relu,flatten,dense', '--batch-size', '1400', '--train-count', '1400'],
      /^shardtrain: this network needs 4\.3 GiB to train, more than the 4 GiB of the shared wasm memory \(.*per-sample gradient slots \(1400 x 793,354 values x 4 bytes\) 4\.1 GiB, .*\): use a smaller --batch-size \(slots for 1286 samples fit\)$/,
    ],
    // Counted before allocating: the wasm memory would have failed deep in an allocation, the activations in every pool thread.
    ['parameters past the wasm memory', ['--model', 'flatten,dense300000,relu,dense'], /^shardtrain: this network needs 10\.0 GiB to train, more than the 4 GiB of the shared wasm memory \(parameters with their sums, optimizer state and backups 9\.8 GiB, .*\): use a network with fewer parameters$/],
    ['activations past the wasm memory', ['--model', 'conv4k3p20000,relu,maxpool40000,flatten,dense', '--threads', '2'], /^shardtrain: this network needs 262\.6 GiB to train, .*activations \(131\.3 GiB a thread x 2\) 262\.6 GiB\): use smaller activations \(larger strides, pooling earlier\)$/],
    ['activations of many threads past the wasm memory', ['--model', 'conv8k3p400,relu,maxpool200,flatten,dense', '--threads', '64'], /activations \(.* a thread x 64\) .*: use fewer --threads, or smaller activations/],
    ['wasm kernels in float64', ['--dtype', 'float64', '--kernels', 'wasm'], /^shardtrain: --kernels wasm computes in float32 only; use --dtype float32 or --kernels typescript$/],
    ['a numpy seed too large for np.random.seed', ['--rng', 'numpy', '--seed', '4294967295'], /--seed/],
    ['--save without .npz', ['--save', '/tmp/weights.bin'], /--save \/tmp\/weights.bin: the file name must end in .npz/],
    ['--save into a missing directory', ['--save', '/nonexistent-dir/w.npz'], /--save \/nonexistent-dir\/w.npz: directory \/nonexistent-dir does not exist/],
    // Each epoch's test loss would be NaN.
    ['--test-count 0', ['--test-count', '0'], /^shardtrain: --test-count 0 leaves no test images to evaluate after each epoch$/],
    // No full batch to keep: the run would train nothing and save the starting weights.
    ['--drop-last with a batch larger than the data', ['--drop-last', '--batch-size', '1000', '--train-count', '200'], /^shardtrain: --batch-size 1000 with --drop-last: the 200 training images make no full batch, so nothing would be trained$/],
    // The embedded digits have no arrays to name: the flag would be ignored.
    ['--train-images-key without --data', ['--train-images-key', 'x_train'], /^shardtrain: --train-images-key describes a --data file, and none is given: the embedded digits would ignore it$/],
    ['--pixel-divisor without --data', ['--pixel-divisor', '2'], /^shardtrain: --pixel-divisor describes a --data file/],
  ];
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['train', ...withOverrides(['--epochs', '1', ...tiny], args)]), message));
  }

  it('no command at all', () => expectRefused(runCli([]), /name a command: train, eval, predict, bench or privacy/));

  it('a refused run creates no output file', () => {
    const dir = fresh();
    expectRefused(runCli(['train', '--kernel1', '40', '--save', join(dir, 'w.npz'), ...tiny]), /--kernel1 40x40 does not fit/);
    expect(existsSync(join(dir, 'w.npz'))).toBe(false);
  });
});

describe('shardtrain --help', () => {
  it('train --help lists every flag', () => {
    const r = runCli(['train', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['epochs', 'batch-size', 'drop-last', 'threads', 'dtype', 'seed', 'rng', 'save', 'json', 'lr', 'beta1', 'beta2', 'eps', 'filters1', 'kernel1', 'stride1', 'filters2', 'kernel2', 'stride2', 'train-count', 'test-count']) {
      expect(r.stdout).toContain(`--${flag}`);
    }
  });

  it('train --help gives each preset and its layers, as --model takes them', () => {
    const help = runCli(['train', '--help']).stdout.replace(/\s+/g, ' ');
    for (const [name, layers] of Object.entries(PRESETS)) expect(help).toContain(`${name} = ${layers}`);
  });
});
