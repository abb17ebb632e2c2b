"""Write a small folder of your-own-data files for the README's "Your own data"
example: SST-2 sentences as a user might have them.

    python docs/own_data_example.py my-sst

    my-sst/train.tsv      label<TAB>sentence        3,000 rows
    my-sst/dev.tsv        label<TAB>content         872 rows (another header: read on its own)
    my-sst/test.tsv       index<TAB>sentence        500 rows, no labels (GLUE's download layout)
    my-sst/unlabeled.txt  one sentence a line       6,000 rows (the transfer set)

The sentences come from the GLUE SST-2 copy in the data directory
($MINILAB_DATA, ../shared/data here), or from the hub (`nyu-mll/glue`, `sst2`).
"""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sst2_rows():
    """(sentence, label) of SST-2's train and validation splits, as the kit reads them."""
    import datasets

    from minilab import data
    datasets.disable_progress_bars()
    task = data.load_task('glue/sst2')  # local copy first, then the hub
    rows = lambda ds: list(zip(ds['text'], ds['label']))  # noqa: E731
    return rows(task.train) + rows(task.dev), rows(task.test)


def main(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train, held_out = sst2_rows()
    random.Random(0).shuffle(train)
    clean = lambda text: ' '.join(str(text).split())  # noqa: E731  (no tabs or newlines)
    with open(folder / 'train.tsv', 'w') as f:
        f.write('label\tsentence\n')
        f.writelines(f'{y}\t{clean(x)}\n' for x, y in train[:3000])
    with open(folder / 'dev.tsv', 'w') as f:
        f.write('label\tcontent\n')
        f.writelines(f'{y}\t{clean(x)}\n' for x, y in held_out)
    with open(folder / 'test.tsv', 'w') as f:
        f.write('index\tsentence\n')
        f.writelines(f'{i}\t{clean(x)}\n' for i, (x, _) in enumerate(train[3000:3500]))
    with open(folder / 'unlabeled.txt', 'w') as f:
        f.writelines(f'{clean(x)}\n' for x, _ in train[3500:9500])
    print(f'wrote {folder}/: train.tsv, dev.tsv, test.tsv (no labels), unlabeled.txt')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'my-sst')
