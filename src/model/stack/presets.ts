/**
 * Named networks, each written in the compact form (./compact.ts), so that the help can print them
 * as they are and a user can start from one. Widths of the last dense layer come from the data.
 */
export const PRESETS = {
  /** The article's network, the one shardtrain trained before layer stacks (9,586 parameters on 28x28). */
  seed: 'conv16k8,relu,conv8k4s2,relu,flatten,dense',
  /**
   * The CNN of the Opacus and TensorFlow Privacy MNIST examples (26,010 parameters on 28x28).
   * The "padding 3" of an 8x8 kernel at stride 2 keeps a 28x28 image at 14x14.
   */
  'opacus-mnist': 'conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense',
  /** The same with tanh, the network of the best end-to-end private results on MNIST and Fashion-MNIST. */
  'opacus-mnist-tanh': 'conv16k8s2p3,tanh,maxpool2s1,conv32k4s2,tanh,maxpool2s1,flatten,dense32,tanh,dense',
  /**
   * LeNet-5 on 28x28 (61,706 parameters): padding 2 gives the first convolution LeNet's 32x32
   * view of the image; ReLU and max pooling stand in for the original's scaled tanh and subsampling.
   */
  lenet5: 'conv6k5p2,relu,maxpool2,conv16k5,relu,maxpool2,flatten,dense120,relu,dense84,relu,dense',
} as const;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
