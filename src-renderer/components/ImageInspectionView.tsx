// What Fieldbench found in a firmware file before anything touches the device: format,
// version, sizes, whether the hash matches, each key's verdict (MCUboot devices), and every
// warning that concerns the device.
import { useId } from 'react';
import type { ImageInspection } from '../../src-main/api/schemas';
import { formatBytes } from '../format/format-transfer';
import { hashText, imageFormatLabel, inspectionWarnings, keyVerdictText } from '../stores/firmware-selectors';
import { hex32 } from '../stores/usb-selectors';
import { Badge } from './Badge';

/** `dfu`: shown for a USB DFU device, which checks no signatures. */
export function ImageInspectionView({ inspection, dfu = false }: { inspection: ImageInspection; dfu?: boolean }) {
  const hash = hashText(inspection);
  const warnings = inspectionWarnings(inspection, dfu);
  const mcuboot = inspection.format === 'mcuboot';
  const headingId = useId();
  return (
    <section className="inspection" aria-labelledby={headingId} data-testid="image-inspection">
      <h3 id={headingId}>{inspection.fileName}</h3>
      <dl className="identity">
        <div>
          <dt>Format</dt>
          <dd data-testid="inspection-format">{imageFormatLabel[inspection.format]}</dd>
        </div>
        {mcuboot && (
          <div>
            <dt>Version</dt>
            <dd data-testid="inspection-version">{inspection.version ?? '—'}</dd>
          </div>
        )}
        <div>
          <dt>Size</dt>
          <dd>
            {formatBytes(inspection.fileSize)}
            {mcuboot && (
              <span className="subtle-line">
                header {formatBytes(inspection.headerSize)} + image {formatBytes(inspection.imageSize)}
              </span>
            )}
          </dd>
        </div>
        <div className="identity-wide">
          <dt>Hash</dt>
          <dd data-testid="inspection-hash">
            {hash ? <Badge tone={hash.tone}>{hash.label}</Badge> : 'No hash to check in this format'}
            <code className="subtle-line" title={inspection.sha256}>
              SHA-256 {inspection.sha256}
            </code>
          </dd>
        </div>
        {inspection.loadAddress !== null && (
          <div>
            <dt>Load address</dt>
            <dd>
              <code>{hex32(inspection.loadAddress)}</code>
            </dd>
          </div>
        )}
        {inspection.securityCounter !== null && (
          <div>
            <dt>Security counter</dt>
            <dd>{inspection.securityCounter}</dd>
          </div>
        )}
        {inspection.flagNames.length > 0 && (
          <div>
            <dt>Flags</dt>
            <dd>{inspection.flagNames.join(', ')}</dd>
          </div>
        )}
        {mcuboot && (
          <div>
            <dt>TLVs</dt>
            <dd className="tlv-list">
              {inspection.tlvs.map((tlv) => `${tlv.name} (${tlv.length} B${tlv.protected ? ', protected' : ''})`).join(' · ') || 'none'}
            </dd>
          </div>
        )}
      </dl>

      {!dfu && <h4>Signature</h4>}
      {dfu ? null : inspection.keys.length === 0 ? (
        <p className="muted" data-testid="inspection-keys">
          Not checked here: no public key was given. Flashing checks the keys the device profile requires.
        </p>
      ) : (
        <ul className="plain-list" data-testid="inspection-keys">
          {inspection.keys.map((check) => (
            <li key={check.key}>
              <Badge tone={keyVerdictText[check.verdict].tone}>{keyVerdictText[check.verdict].label}</Badge> <code>{check.key}</code>
              <span className="subtle-line">{check.detail}</span>
            </li>
          ))}
        </ul>
      )}

      {!mcuboot && inspection.segments.length > 0 && (
        <>
          <h4>Segments</h4>
          <ul className="plain-list">
            {inspection.segments.map((segment) => (
              <li key={`${segment.address}`}>
                <code>{hex32(segment.address)}</code> · {formatBytes(segment.size)}
              </li>
            ))}
          </ul>
        </>
      )}

      {warnings.length > 0 && (
        <ul className="warning-list" aria-label="Warnings" data-testid="inspection-warnings">
          {warnings.map((warning) => (
            <li key={warning}>
              <strong>Warning:</strong> {warning}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
