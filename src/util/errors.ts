/**
 * An error the user can fix: bad flag, bad file, options that do not fit the data.
 * The CLI prints its message as one line and exits with `exitCode`, never a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** How a sentence names a setting: the domain by what it is ('image size'), the CLI by its flag. */
export type NameSetting = (setting: string) => string;

/** 'imageSize' -> 'image size': the domain's own wording of a setting. */
export const settingInWords: NameSetting = (setting) => setting.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);

/**
 * A chosen value that does not work. The domain does not know which flag (or which field of a
 * config file, later) set it, so the error keeps its sentence as a function of how settings are
 * named: its message names them in words, and the CLI asks for the sentence again with flags.
 */
export class SettingError extends UserError {
  constructor(
    /** The setting that is wrong, by its option name: 'kernel1', 'seed', 'imageSize'. */
    readonly setting: string,
    private readonly sentence: (name: NameSetting) => string,
  ) {
    super(sentence(settingInWords));
    this.name = 'SettingError';
  }

  wordedWith(name: NameSetting): string {
    return this.sentence(name);
  }
}
