import type { Finding, FindingStatus, Waiver } from '../model/finding.js';
import { severities, severityRank, type PolicyInfo, type Severity } from '../model/policy.js';
import type { Result } from '../model/result.js';
import { costSummary, money } from './markdown.js';
import { defineReporter, PIECE_CHARS, type Reporter } from './types.js';

/**
 * One self-contained HTML file for security review: summary charts (inline SVG), a filterable,
 * sortable findings table, waivers with owners and expiry, notices, and the policies with their
 * remediation and references. A Content-Security-Policy forbids every network request, so the file
 * can be opened offline or attached to a ticket; rows are rendered here and the small inline script
 * only filters and sorts them.
 */

/** Text for HTML content and double-quoted attributes. */
export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Only http(s) links are rendered as links: a policy file cannot smuggle `javascript:` URLs. */
function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? htmlEscape(url) : undefined;
}

const severityColor: Record<Severity, string> = {
  critical: '#7f1d1d',
  high: '#dc2626',
  medium: '#d97706',
  low: '#2563eb',
  info: '#6b7280',
};

const statusOrder: FindingStatus[] = ['fail', 'error', 'unknown', 'warn', 'audit', 'waived', 'approved'];
const statusLabel: Record<FindingStatus, string> = {
  fail: 'Fail',
  error: 'Error',
  unknown: 'Unknown',
  warn: 'Warn',
  audit: 'Audit',
  waived: 'Waived',
  approved: 'Approved',
};

interface Bar {
  label: string;
  value: number;
  color: string;
  filter: string;
}

/** A horizontal bar chart as inline SVG; each bar filters the table when clicked. */
function barChart(title: string, bars: Bar[]): string {
  const rowHeight = 26;
  const labelWidth = 120;
  const barWidth = 220;
  const height = Math.max(1, bars.length) * rowHeight + 8;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rows = bars.map((bar, index) => {
    const y = 4 + index * rowHeight;
    const width = bar.value === 0 ? 0 : Math.max(2, Math.round((bar.value / max) * barWidth));
    return (
      `<g class="bar" data-filter="${htmlEscape(bar.filter)}" tabindex="0" role="button" aria-label="${htmlEscape(`${bar.label}: ${bar.value}`)}">` +
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${htmlEscape(bar.label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 4}" width="${width}" height="${rowHeight - 8}" rx="3" fill="${bar.color}"/>` +
      `<text x="${labelWidth + width + 6}" y="${y + 17}">${bar.value}</text></g>`
    );
  });
  const empty = bars.length === 0 ? `<text x="8" y="20">nothing to show</text>` : '';
  return (
    `<figure class="chart"><figcaption>${htmlEscape(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 50}" height="${height}" role="img" aria-label="${htmlEscape(title)}">` +
    `${rows.join('')}${empty}</svg></figure>`
  );
}

function countBy(findings: Finding[], key: (finding: Finding) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(key(finding), (counts.get(key(finding)) ?? 0) + 1);
  return counts;
}

const palette = ['#0f766e', '#7c3aed', '#be185d', '#0369a1', '#a16207', '#4d7c0f', '#9f1239', '#334155'];

function charts(result: Result, categoryOf: (finding: Finding) => string): string {
  const findings = result.findings;
  const bySeverity = countBy(findings, (f) => f.severity);
  const byCategory = countBy(findings, categoryOf);
  const bySource = countBy(findings, (f) => f.resource.source);
  const byStatus = countBy(findings, (f) => f.status);
  const sorted = (counts: Map<string, number>) =>
    [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return [
    barChart(
      'Findings by severity',
      severities.map((severity) => ({
        label: severity,
        value: bySeverity.get(severity) ?? 0,
        color: severityColor[severity],
        filter: `severity:${severity}`,
      })),
    ),
    barChart(
      'Findings by status',
      statusOrder
        .filter((status) => byStatus.has(status))
        .map((status) => ({
          label: statusLabel[status],
          value: byStatus.get(status)!,
          color: statusColor(status),
          filter: `status:${status}`,
        })),
    ),
    barChart(
      'Findings by category',
      sorted(byCategory).map(([category, value], i) => ({
        label: category,
        value,
        color: palette[i % palette.length]!,
        filter: `category:${category}`,
      })),
    ),
    barChart(
      'Findings by source',
      sorted(bySource).map(([source, value], i) => ({
        label: source,
        value,
        color: palette[(i + 3) % palette.length]!,
        filter: `source:${source}`,
      })),
    ),
  ].join('\n');
}

function statusColor(status: FindingStatus): string {
  switch (status) {
    case 'fail':
    case 'error':
      return '#dc2626';
    case 'unknown':
    case 'warn':
      return '#d97706';
    case 'waived':
    case 'approved':
      return '#0f766e';
    default:
      return '#6b7280';
  }
}

function options(values: string[], all: string): string {
  return [
    `<option value="">${htmlEscape(all)}</option>`,
    ...values.map((v) => `<option value="${htmlEscape(v)}">${htmlEscape(v)}</option>`),
  ].join('');
}

function waiverCell(waiver: Waiver): string {
  return `${htmlEscape(waiver.owner)}, until ${htmlEscape(waiver.expires || 'no expiry')}`;
}

function findingRow(
  finding: Finding,
  index: number,
  policy: PolicyInfo | undefined,
  category: string,
): string {
  const accepted = finding.waiver
    ? `<div class="note">Waived: ${htmlEscape(finding.waiver.reason)} (${waiverCell(finding.waiver)}${finding.waiver.ticket ? `, ${htmlEscape(finding.waiver.ticket)}` : ''})</div>`
    : finding.approval
      ? `<div class="note">Approved by ${htmlEscape(finding.approval.by)}</div>`
      : '';
  const known = finding.baseline ? '<div class="note">Known from the baseline</div>' : '';
  const unknown = finding.unknownPaths?.length
    ? `<div class="note">Unknown until apply: ${htmlEscape(finding.unknownPaths.join(', '))}</div>`
    : '';
  const reference = policy?.references.map(safeHref).find((href) => href !== undefined);
  const fix = policy?.remediation
    ? `<div class="fix">Fix: ${htmlEscape(policy.remediation)}${reference ? ` <a href="${reference}" rel="noopener noreferrer" target="_blank">reference</a>` : ''}</div>`
    : reference
      ? `<div class="fix"><a href="${reference}" rel="noopener noreferrer" target="_blank">reference</a></div>`
      : '';
  const location = `${finding.resource.file}:${finding.resource.line}`;
  const search = [
    finding.policyId,
    finding.resource.id,
    finding.message,
    location,
    finding.path,
    category,
    finding.status,
    finding.severity,
  ]
    .join(' ')
    .toLowerCase();
  return (
    `<tr data-order="${index}" data-status="${finding.status}" data-status-rank="${statusOrder.indexOf(finding.status)}" ` +
    `data-severity="${finding.severity}" data-severity-rank="${severityRank(finding.severity)}" data-source="${finding.resource.source}" ` +
    `data-category="${htmlEscape(category)}" data-policy="${htmlEscape(finding.policyId)}" data-resource="${htmlEscape(finding.resource.id)}" ` +
    `data-location="${htmlEscape(location)}" data-search="${htmlEscape(search)}">` +
    `<td><span class="status status-${finding.status}">${statusLabel[finding.status]}</span></td>` +
    `<td><span class="sev sev-${finding.severity}">${finding.severity}</span></td>` +
    `<td><a href="#policy-${htmlEscape(finding.policyId)}">${htmlEscape(finding.policyId)}</a><div class="sub">${htmlEscape(policy?.title ?? '')}</div></td>` +
    `<td><code>${htmlEscape(finding.resource.id)}</code><div class="sub">${htmlEscape(finding.resource.kind)} · ${finding.resource.source}</div></td>` +
    `<td><code>${htmlEscape(location)}</code>${finding.path ? `<div class="sub"><code>${htmlEscape(finding.path)}</code></div>` : ''}</td>` +
    `<td>${htmlEscape(finding.message)}${accepted}${known}${unknown}${fix}</td></tr>`
  );
}

const style = `
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#fff;--panel:#f9fafb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0 0 4px;font-size:22px}header .meta{color:var(--muted)}
.verdict-fail{color:#b91c1c}.verdict-pass{color:#047857}
main{padding:20px 28px;max-width:1500px}
section{margin:0 0 28px}h2{font-size:17px;margin:0 0 10px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 18px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:110px;background:var(--bg)}
.card b{display:block;font-size:22px}.card span{color:var(--muted)}
.charts{display:flex;flex-wrap:wrap;gap:18px}.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px}
.chart figcaption{font-weight:600;margin:0 0 6px}.chart text{font-size:12px;fill:var(--fg)}
.bar{cursor:pointer}.bar:hover rect,.bar:focus rect{opacity:.75}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 10px}
.filters input,.filters select,.filters button{font:inherit;padding:5px 8px;border:1px solid #d1d5db;border-radius:6px;background:var(--bg)}
.filters input{min-width:260px}#finding-count{color:var(--muted);margin-left:6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:7px 8px;border-bottom:1px solid var(--line)}
th{background:var(--panel);position:sticky;top:0;z-index:1}
th button{all:unset;cursor:pointer;font-weight:600}th button::after{content:" \\2195";color:var(--muted)}
th[aria-sort=ascending] button::after{content:" \\2191";color:var(--fg)}th[aria-sort=descending] button::after{content:" \\2193";color:var(--fg)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.sub{color:var(--muted);font-size:12px}.note{color:#0f766e;font-size:12px;margin-top:3px}.fix{font-size:12px;margin-top:3px;color:#374151}
.sev,.status{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.sev-critical{background:${severityColor.critical}}.sev-high{background:${severityColor.high}}.sev-medium{background:${severityColor.medium}}.sev-low{background:${severityColor.low}}.sev-info{background:${severityColor.info}}
.status-fail,.status-error{background:#dc2626}.status-unknown,.status-warn{background:#d97706}.status-audit{background:#6b7280}.status-waived,.status-approved{background:#0f766e}
.empty{color:var(--muted);padding:12px 0}.expired{color:#b91c1c;font-weight:600}.soon{color:#b45309;font-weight:600}
ul.notices{padding-left:18px}.notice-warning::marker{color:#d97706}.notice-error{color:#b91c1c}
@media print{.filters{display:none}th{position:static}}
`;

/** Filtering and sorting only: every row is already in the document. */
const script = `
(function () {
  var table = document.getElementById('findings');
  if (!table) return;
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var text = document.getElementById('filter-text');
  var selects = ['severity', 'status', 'source', 'category'].map(function (name) {
    return { name: name, el: document.getElementById('filter-' + name) };
  });
  var count = document.getElementById('finding-count');
  var empty = document.getElementById('no-match');
  function apply() {
    var q = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!q || row.dataset.search.indexOf(q) !== -1) && selects.every(function (s) {
        return !s.el.value || row.dataset[s.name] === s.el.value;
      });
      row.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' findings';
    empty.hidden = shown !== 0;
  }
  text.addEventListener('input', apply);
  selects.forEach(function (s) { s.el.addEventListener('change', apply); });
  document.getElementById('filter-reset').addEventListener('click', function () {
    text.value = '';
    selects.forEach(function (s) { s.el.value = ''; });
    apply();
  });
  Array.prototype.forEach.call(document.querySelectorAll('.bar'), function (bar) {
    function pick() {
      var parts = bar.getAttribute('data-filter').split(':');
      var target = document.getElementById('filter-' + parts[0]);
      target.value = parts.slice(1).join(':');
      apply();
      table.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
    bar.addEventListener('click', pick);
    bar.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
  });
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var key = th.getAttribute('data-sort');
      var numeric = th.getAttribute('data-numeric') === 'true';
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = a.dataset[key], y = b.dataset[key];
        var c = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
        return c * dir || Number(a.dataset.order) - Number(b.dataset.order);
      });
      rows.forEach(function (row) { tbody.appendChild(row); });
    });
  });
  apply();
})();
`;

export const htmlReporter: Reporter = defineReporter({
  name: 'html',
  description: 'Self-contained HTML report for security review: charts, filterable table, waivers',
  machine: false,
  *chunks(result: Result, opts) {
    const policies = new Map(result.policies.map((policy) => [policy.id, policy]));
    const categoryOf = (finding: Finding) => policies.get(finding.policyId)?.category ?? 'uncategorised';
    const s = result.summary;
    const failing = result.findings.filter(
      (f) => (f.status === 'fail' && !f.baseline) || f.status === 'error',
    ).length;
    const now = opts.now ?? new Date();
    const tool = opts.tool ? `${opts.tool.name} ${opts.tool.version}` : 'parapet';
    const verdict = failing
      ? `<span class="verdict-fail">${failing} finding${failing === 1 ? '' : 's'} must be fixed</span>`
      : '<span class="verdict-pass">No failing findings</span>';

    const unreadable = result.notices.filter((n) => n.level === 'error');
    const cards = [
      ['Resources', s.resources],
      ['Policies', s.policies],
      ...(unreadable.length ? [['Unreadable inputs', unreadable.length] as const] : []),
      ...(s.baseline
        ? [['New', s.baseline.new] as const, ['Known from baseline', s.baseline.known] as const]
        : []),
      ...statusOrder.map((status) => [statusLabel[status], s.byStatus[status]] as const),
    ]
      .map(([label, value]) => `<div class="card"><b>${value}</b><span>${label}</span></div>`)
      .join('');

    const values = (key: (f: Finding) => string) => [...new Set(result.findings.map(key))].sort();
    const severityValues = severities.filter((sev) => s.bySeverity[sev] > 0);
    const count = result.findings.length;
    const unreadableHtml = unreadable.length
      ? `<section id="unreadable"><h2>Inputs not checked (${unreadable.length})</h2><p>These files could not be read or parsed; their resources are missing from this report.</p><ul class="notices">${unreadable
          .map((n) => `<li class="notice-error">${htmlEscape(n.message)}</li>`)
          .join('')}</ul></section>`
      : '';

    // A line per priced resource: in pieces, like the findings.
    const costHtml = function* (): Generator<string> {
      const cost = costSummary(result.extras);
      if (!cost) return;
      let piece = `<section id="cost"><h2>Cost</h2><p>Monthly cost ${htmlEscape(money(cost.before, cost.currency))} → ${htmlEscape(money(cost.after, cost.currency))}: <b>${htmlEscape(money(cost.delta, cost.currency, true))}/month</b></p>`;
      if (cost.lines.length) {
        piece +=
          '<table><thead><tr><th>Resource</th><th>Before</th><th>After</th><th>Change</th></tr></thead><tbody>';
        for (const line of cost.lines) {
          piece += `<tr><td><code>${htmlEscape(line.id)}</code></td><td>${htmlEscape(money(line.before, cost.currency))}</td><td>${htmlEscape(money(line.after, cost.currency))}</td><td>${line.delta === null ? htmlEscape(`unknown${line.reason ? `: ${line.reason}` : ''}`) : htmlEscape(money(line.delta, cost.currency, true))}</td></tr>`;
          if (piece.length >= PIECE_CHARS) {
            yield piece;
            piece = '';
          }
        }
        piece += '</tbody></table>';
      }
      yield `${piece}</section>`;
    };

    const waivedFindings = result.findings.filter((f) => f.waiver);
    const soon = now.getTime() + 14 * 24 * 60 * 60 * 1000;
    const waiverRows = waivedFindings.map((finding) => {
      const w = finding.waiver!;
      const end = w.expires ? Date.parse(`${w.expires}T23:59:59.999Z`) : Number.POSITIVE_INFINITY;
      const expiry = w.expires
        ? `<span class="${end < soon ? 'soon' : ''}">${htmlEscape(w.expires)}</span>`
        : 'no expiry';
      return `<tr><td>${htmlEscape(finding.policyId)}</td><td><code>${htmlEscape(finding.resource.id)}</code></td><td>${htmlEscape(w.owner)}</td><td>${expiry}</td><td>${htmlEscape(w.reason)}</td><td>${htmlEscape(w.ticket ?? '')}</td><td>${htmlEscape(w.origin ?? '')}</td></tr>`;
    });
    const waiverNotices = result.notices.filter((n) => n.code.startsWith('waiver-'));
    const waiversHtml =
      `<section id="waivers"><h2>Waivers (${waivedFindings.length} finding${waivedFindings.length === 1 ? '' : 's'} waived)</h2>` +
      (waiverRows.length
        ? `<table><thead><tr><th>Policy</th><th>Resource</th><th>Owner</th><th>Expires</th><th>Reason</th><th>Ticket</th><th>Declared in</th></tr></thead><tbody>${waiverRows.join('')}</tbody></table>`
        : '<p class="empty">No finding is waived.</p>') +
      (waiverNotices.length
        ? `<ul class="notices">${waiverNotices
            .map(
              (n) =>
                `<li class="notice-${n.level}${n.code === 'waiver-expired' ? ' expired' : ''}">${htmlEscape(n.message)}</li>`,
            )
            .join('')}</ul>`
        : '') +
      '</section>';

    const otherNotices = result.notices.filter((n) => !n.code.startsWith('waiver-') && n.level !== 'error');
    const noticesHtml = otherNotices.length
      ? `<section id="notices"><h2>Notices</h2><ul class="notices">${otherNotices
          .map((n) => `<li class="notice-${n.level}">${htmlEscape(n.message)}</li>`)
          .join('')}</ul></section>`
      : '';

    const withFindings = new Set(result.findings.map((f) => f.policyId));
    const policyRows = [...result.policies]
      .filter((policy) => withFindings.has(policy.id))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((policy) => {
        const refs = policy.references
          .map((ref) => {
            const href = safeHref(ref);
            return href
              ? `<a href="${href}" rel="noopener noreferrer" target="_blank">${htmlEscape(ref)}</a>`
              : htmlEscape(ref);
          })
          .join('<br>');
        return `<tr id="policy-${htmlEscape(policy.id)}"><td><code>${htmlEscape(policy.id)}</code></td><td>${htmlEscape(policy.title)}${policy.description ? `<div class="sub">${htmlEscape(policy.description)}</div>` : ''}</td><td><span class="sev sev-${policy.severity}">${policy.severity}</span></td><td>${htmlEscape(policy.category)}</td><td>${htmlEscape(policy.remediation ?? '')}</td><td>${refs}</td></tr>`;
      });

    yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>parapet report: ${failing ? `${failing} failing` : 'passed'}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>parapet report: ${verdict}</h1>
<div class="meta">${htmlEscape(tool)} · ${htmlEscape(now.toISOString().slice(0, 16).replace('T', ' '))} UTC · ${s.resources} resources · ${s.policies} policies${opts.failOn && opts.failOn !== 'info' ? ` · gate: ${htmlEscape(opts.failOn)} and above` : ''}</div>
</header>
<main>
${unreadableHtml}<section id="summary"><h2>Summary</h2><div class="cards">${cards}</div><div class="charts">
${charts(result, categoryOf)}
</div></section>
`;
    yield* costHtml();
    yield `
<section id="findings-section"><h2>Findings</h2>
<div class="filters" role="search">
<input type="search" id="filter-text" placeholder="Filter by policy, resource, file or message" aria-label="Filter findings">
<select id="filter-severity" aria-label="Severity">${options(severityValues, 'All severities')}</select>
<select id="filter-status" aria-label="Status">${options(
      statusOrder.filter((st) => s.byStatus[st] > 0),
      'All statuses',
    )}</select>
<select id="filter-source" aria-label="Source">${options(
      values((f) => f.resource.source),
      'All sources',
    )}</select>
<select id="filter-category" aria-label="Category">${options(values(categoryOf), 'All categories')}</select>
<button type="button" id="filter-reset">Reset</button>
<span id="finding-count">Showing ${count} of ${count} findings</span>
</div>
<table id="findings">
<thead><tr><th data-sort="statusRank" data-numeric="true"><button type="button">Status</button></th><th data-sort="severityRank" data-numeric="true"><button type="button">Severity</button></th><th data-sort="policy"><button type="button">Policy</button></th><th data-sort="resource"><button type="button">Resource</button></th><th data-sort="location"><button type="button">Location</button></th><th>Message</th></tr></thead>
<tbody>
`;
    // Rows go out in pieces: the table of a million findings is never one string.
    let piece = count === 0 ? '\n' : '';
    for (let index = 0; index < count; index += 1) {
      const finding = result.findings[index]!;
      piece += `${findingRow(finding, index, policies.get(finding.policyId), categoryOf(finding))}\n`;
      if (piece.length >= PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
    if (piece) yield piece;
    yield `</tbody>
</table>
<p id="no-match" class="empty"${count ? ' hidden' : ''}>${count ? 'No finding matches the filters.' : 'No findings.'}</p>
</section>
${waiversHtml}
${noticesHtml}
<section id="policies"><h2>Policies with findings</h2>
<table><thead><tr><th>Id</th><th>Title</th><th>Severity</th><th>Category</th><th>Remediation</th><th>References</th></tr></thead><tbody>
${policyRows.join('\n')}
</tbody></table></section>
</main>
<script>${script}</script>
</body>
</html>
`;
  },
});
