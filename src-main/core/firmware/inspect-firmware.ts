// The core's side of 'firmware.inspect': the file arrives as base64 through whichever door
// (a dropped file in the window, a browser upload, the CLI), already checked by the
// contract, is decoded here once and inspected by the pure functions in firmware-images.
import type { ImageInspection } from '../../api/schemas';
import { inspectImage, type PublicKeyPem } from '../../firmware-images/inspect-image';

export interface InspectFirmwareRequest {
  fileName: string;
  contentBase64: string;
  keys?: PublicKeyPem[];
  slotSize?: number;
}

export function inspectFirmware(request: InspectFirmwareRequest): ImageInspection {
  return inspectImage(new Uint8Array(Buffer.from(request.contentBase64, 'base64')), {
    fileName: request.fileName,
    keys: request.keys ?? [],
    ...(request.slotSize === undefined ? {} : { slotSize: request.slotSize }),
  });
}
