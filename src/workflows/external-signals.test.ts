import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { isTargetGone, TARGET_GONE } from './external-signals';

describe('isTargetGone', () => {
  it('is the failure sdk-core resolves a signal with when the target workflow is not running, and only that', () => {
    expect(isTargetGone(ApplicationFailure.create({ message: 'Unable to signal external workflow because it was not found', type: TARGET_GONE }))).toBe(true);
    for (const type of ['NamespaceNotFound', 'SignalCountLimitExceeded', 'Unspecified', undefined]) {
      expect(isTargetGone(ApplicationFailure.create({ message: 'Unable to signal external workflow', type }))).toBe(false);
    }
    expect(isTargetGone(new CancelledFailure('cancelled'))).toBe(false);
    expect(isTargetGone(new Error(TARGET_GONE))).toBe(false);
  });
});
