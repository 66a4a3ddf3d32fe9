// How many image upload requests the client keeps in flight at once.
//
// What a Zephyr device can hold: MCUmgr's transports share one pool of `buf_count` buffers
// (CONFIG_MCUMGR_TRANSPORT_NETBUF_COUNT, the `buf_count` of MCUmgr parameters) for requests
// and responses alike. On a serial line the transport takes a buffer at the first line of
// a frame and decodes into it as the lines arrive; the finished request waits in a queue
// for the SMP work queue, which handles one at a time and takes a second buffer for its
// response until that response has left the UART. A buffer that cannot be had when a frame
// starts loses the whole frame, silently. So with the request being handled (2 buffers),
// the ones queued behind it (1 each) and the one arriving (1), a client may have at most
// buf_count − 1 requests unanswered; one more, and a frame is dropped.
//
// The default is min(buf_count − 1, 3): the most the device can hold, capped at 3 because
// the window only has to cover the turnaround between an answer and the next request (at
// 1 Mbaud a 1 KiB request lasts ~14 ms on the wire and the turnaround a few ms, so 2 already
// keeps the line busy and 3 leaves room for a slow flash write), while every extra request
// in flight is one more sent for nothing after a lost or refused chunk. A device that does
// not report its parameters (MCUboot serial recovery reads into a single buffer, older
// firmware) gets 1: plain stop-and-wait, the one mode every SMP server takes.

/** Requests in flight when the device reports buf_count and the caller does not choose. */
export const SMP_DEFAULT_UPLOAD_WINDOW = 3;

/**
 * The window for an upload: `requested` (the client's uploadWindow option, default
 * SMP_DEFAULT_UPLOAD_WINDOW) capped at buf_count − 1, and 1 when buf_count is unknown.
 */
export function uploadWindow(bufCount: number | null, requested: number = SMP_DEFAULT_UPLOAD_WINDOW): number {
  const wanted = Number.isFinite(requested) ? Math.floor(requested) : 1;
  if (bufCount === null || !Number.isInteger(bufCount)) return 1;
  return Math.max(1, Math.min(wanted, bufCount - 1));
}
