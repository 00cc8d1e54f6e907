import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into a payload (`encodedAttributes`) that the payload codec
 * encrypts, instead of into history as text: an SMTP rejection naming an address stays unreadable.
 * Loaded by path (DataConverter.failureConverterPath) by clients, workers and workflow bundles.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

