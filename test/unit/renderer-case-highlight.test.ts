// Search snippets on screen: the hit segments in <mark>, everything as text. Whatever a note or
// a log capture holds (tags, entities, script, quotes) must come out as the characters it is.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CaseSearchResult, TextSegment } from '../../src-main/api/schemas';
import { CaseSearchResults } from '../../src-renderer/components/CaseSearchResults';
import { HighlightedSnippet } from '../../src-renderer/components/HighlightedSnippet';

function render(segments: TextSegment[]): string {
  return renderToStaticMarkup(createElement(HighlightedSnippet, { segments }));
}

/** What a browser shows for the markup: tags gone, the five escapes React writes turned back. */
function shownText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#x27;', "'")
    .replaceAll('&amp;', '&');
}

describe('HighlightedSnippet', () => {
  it('marks exactly the hit segments, in order', () => {
    const html = render([
      { text: '…the ', hit: false },
      { text: 'battery', hit: true },
      { text: ' sagged at ', hit: false },
      { text: 'night', hit: true },
    ]);
    expect(html).toBe('<span class="snippet" data-testid="match-snippet"><span>…the </span><mark>battery</mark><span> sagged at </span><mark>night</mark></span>');
  });

  it('shows hostile text as text: no element, attribute or entity from the note reaches the page', () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp; </mark><b>';
    const html = render([
      { text: hostile, hit: false },
      { text: '<mark>', hit: true },
    ]);
    expect(html).not.toMatch(/<img|<script|<b>|onerror="/);
    expect(html.match(/<mark>/g)).toHaveLength(1);
    expect(shownText(html)).toBe(`${hostile}<mark>`);
  });

  it('round-trips any text: what is shown is the segments joined, with one <mark> per hit', () => {
    const segment = fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 40 }), hit: fc.boolean() });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const html = render(segments);
        expect(shownText(html)).toBe(segments.map((s) => s.text).join(''));
        expect((html.match(/<mark>/g) ?? []).length).toBe(segments.filter((s) => s.hit).length);
      }),
    );
  });
});

describe('CaseSearchResults', () => {
  it('lists each case with its link, count, and every match under its field name', () => {
    const result: CaseSearchResult = {
      hits: [
        {
          caseId: '11111111-1111-4111-8111-111111111111',
          title: 'Resets <at> night',
          status: 'waiting',
          deviceModel: 'sensor-node',
          deviceSerial: 'SN-00000042',
          createdAt: '2026-03-01T10:00:00.000Z',
          updatedAt: '2026-03-02T10:00:00.000Z',
          matches: [
            { field: 'note', sourceId: '22222222-2222-4222-8222-222222222222', snippet: [{ text: 'brownout', hit: true }] },
            { field: 'root-cause', sourceId: null, snippet: [{ text: 'a ', hit: false }, { text: 'brownout', hit: true }] },
          ],
        },
      ],
      total: 41,
      totalIsExact: true,
    };
    const html = renderToStaticMarkup(createElement(CaseSearchResults, { result, request: { query: 'brownout', limit: 20, offset: 20 }, busy: false, onPage: () => undefined }));
    expect(html).toContain('href="#/cases/11111111-1111-4111-8111-111111111111"');
    expect(html).toContain('Resets &lt;at&gt; night');
    expect(html).toContain('21–21 of 41 cases');
    expect(html).toContain('<span class="case-match-field">Note</span>');
    expect(html).toContain('<span class="case-match-field">Root cause</span>');
    expect(html.match(/<mark>brownout<\/mark>/g)).toHaveLength(2);
    expect(html).toContain('Page 2');
  });
});
