import { describe, expect, it } from 'vitest';
import { Sgd } from '../src/optim/sgd.js';

// torch.optim.SGD (dampening 0, no Nesterov, no weight decay): the first step's velocity is the
// gradient itself, later ones momentum * velocity + gradient; then params -= lr * velocity.
describe('SGD with momentum, as torch.optim.SGD', () => {
  it('three steps by hand, float64, momentum 0.9 lr 0.5', () => {
    const sgd = new Sgd({ lr: 0.5, momentum: 0.9 }, 'float64', 2);
    const params = Float64Array.from([1, -2]);
    const grads = [
      [0.5, 1],
      [-1, 0.25],
      [0, 2],
    ];
    let v = [0, 0];
    const p = [1, -2];
    grads.forEach((g, t) => {
      v = v.map((vj, j) => (t === 0 ? g[j] : 0.9 * vj + g[j]));
      for (let j = 0; j < 2; j++) p[j] -= 0.5 * v[j];
      sgd.update(params, Float64Array.from(g));
    });
    expect(Array.from(params)).toEqual(p);
    expect(Array.from(sgd.velocity)).toEqual(v);
    expect(sgd.step).toBe(3);
  });

  it('momentum 0 is plain gradient descent; float32 stores the velocity rounded, as torch does', () => {
    const sgd = new Sgd({ lr: 0.1, momentum: 0 }, 'float32', 1);
    const params = Float32Array.from([1]);
    sgd.update(params, Float32Array.from([0.3]));
    sgd.update(params, Float32Array.from([0.3]));
    const once = Math.fround(1 - 0.1 * Math.fround(0.3));
    expect(params[0]).toBe(Math.fround(once - 0.1 * Math.fround(0.3)));
  });

  it('its checkpointed state is the velocity', () => {
    const sgd = new Sgd({ lr: 1, momentum: 0.5 }, 'float32', 3);
    expect(Object.keys(sgd.buffers)).toEqual(['sgd_velocity']);
    expect(sgd.settings).toEqual({ kind: 'sgd', lr: 1, momentum: 0.5 });
  });
});
