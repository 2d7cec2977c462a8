/** Small nbformat v4 notebooks for tests. */
export interface ITestCell {
  source: string;
  tags?: string[];
  type?: 'code' | 'markdown';
}

let counter = 0;

export function notebook(cells: (string | ITestCell)[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    cells: cells.map((c) => {
      const cell = typeof c === 'string' ? { source: c } : c;
      const id = `c${(counter++).toString(16).padStart(6, '0')}`;
      return cell.type === 'markdown'
        ? { cell_type: 'markdown', id, metadata: {}, source: cell.source }
        : {
            cell_type: 'code',
            id,
            metadata: cell.tags ? { tags: cell.tags } : {},
            source: cell.source,
            outputs: [],
            execution_count: null
          };
    })
  };
}

/** The documented pattern: read the parameter with a default, return it doubled or echoed. */
export const PARAM_CELL: ITestCell = { source: "job = globals().get('job', {'param': 9})", tags: ['parameters'] };
