import { describe, expect, it } from 'vitest';
import { StateView } from '../../src/cost/state.js';

describe('StateView', () => {
  it('answers unknown reads from its own unknown-path list, whichever view asked first', () => {
    const values = { root_block_device: [{ volume_size: 50 }], instance_type: 'm5.large' };
    const blockUnknown = ['/root_block_device'];
    const typeUnknown = ['/instance_type'];
    const first = new StateView(values, blockUnknown);
    const second = new StateView(values, typeUnknown);
    const again = new StateView(values, blockUnknown);
    expect(first.number('/root_block_device/0/volume_size')).toEqual({ known: false });
    expect(second.number('/root_block_device/0/volume_size')).toEqual({ known: true, value: 50 });
    expect(again.number('/root_block_device/0/volume_size')).toEqual({ known: false });
    expect(second.string('/instance_type')).toEqual({ known: false });
    expect(first.string('/instance_type')).toEqual({ known: true, value: 'm5.large' });
    expect(new StateView(values).isUnknown('/root_block_device')).toBe(false);
  });

  it('treats a pointer as unknown only at or below an unknown path, not beside it', () => {
    const view = new StateView({ tag: 'a', tags: { b: 'c' } }, ['/tag']);
    expect(view.isUnknown('/tag')).toBe(true);
    expect(view.isUnknown('/tags/b')).toBe(false);
    expect(view.isUnknown('/tag/x')).toBe(true);
  });
});
