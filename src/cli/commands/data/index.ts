// `sweep data list` and `sweep data fetch <name>`.
import { dataFetch, dataList, formatDataList } from '../../../data/index.js';
import { UserInputError } from '../../../errors/index.js';

export interface DataOptions {
  readonly action: string;
  readonly name?: string;
  readonly dest?: string;
  readonly url?: string;
  readonly write: (line: string) => void;
  /** Progress on one line (a TTY), or none. */
  readonly progress?: (line: string) => void;
}

export async function runData(opts: DataOptions): Promise<void> {
  if (opts.action === 'list') {
    opts.write(formatDataList(await dataList()));
    return;
  }
  if (opts.action === 'fetch') {
    if (!opts.name) throw new UserInputError('which data set? sweep data fetch fashion-mnist|cifar10', 'data fetch');
    const result = await dataFetch(opts.name, {
      dest: opts.dest,
      url: opts.url,
      onProgress: opts.progress
        ? (p) => {
            const pct = p.total ? ` ${((100 * p.received) / p.total).toFixed(1)}%` : '';
            opts.progress!(`${p.file}: ${(p.received / 2 ** 20).toFixed(1)} MiB${pct}`);
          }
        : undefined,
    });
    if (result.alreadyThere)
      opts.write(
        `${opts.name}: already there and verified, in ${result.dir}; nothing downloaded (--dest DIR downloads a copy there)`,
      );
    else
      opts.write(
        `${opts.name}: ${result.downloaded.length} file(s) downloaded, ${result.kept.length} already there and verified, in ${result.dir}`,
      );
    return;
  }
  throw new UserInputError(`unknown action "${opts.action}" (use: sweep data list | sweep data fetch <name>)`, 'data');
}
