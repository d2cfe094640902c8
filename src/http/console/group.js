// One consumer group: state, members and assignments, offsets and lag with
// totals, lag over time, offset reset (reset.js) and delete. A KIP-848
// consumer group (type "consumer") also shows its epochs, the broker's
// assignor and each member's epoch, rack and target assignment: the
// coordinator moves partitions in steps (revoke, then assign), so while a
// group reconciles a member's current and target assignments differ.
import { useMemo } from 'preact/hooks';
import { api, usePoll } from './api.js';
import { TimeChart } from './chart.js';
import { fmtNum, href, html } from './lib.js';
import { ResetOffsets } from './reset.js';
import { ConfirmButton, ErrorBox, Loading, StateBadge, useAction, useSession, WriteNote } from './ui.js';

const LAG_SERIES = [{ label: 'total lag' }];

const assignmentKey = (a) => (a ?? []).map((x) => `${x.topic}:${x.partitions.join(',')}`).join(' ');

function Assignment({ assignment }) {
  if (!assignment?.length) return html`<span class="muted">none</span>`;
  return assignment.map((a) => html`<div><a href=${href('topics', a.topic)}>${a.topic}</a>: ${a.partitions.join(', ')}</div>`);
}

/** What the member owns, and what the assignor wants it to own when that differs (a KIP-848 group reconciling). */
function MemberAssignment({ m }) {
  const moving = m.targetAssignment && assignmentKey(m.targetAssignment) !== assignmentKey(m.assignment);
  return html`<${Assignment} assignment=${m.assignment} />
    ${moving ? html`<div class="small muted" data-testid="target-assignment">target: <${Assignment} assignment=${m.targetAssignment} /></div>` : ''}`;
}

function GroupFacts({ g }) {
  if (g.type !== 'consumer') return html`${g.protocolType || 'no protocol type'}${g.protocol ? ` / ${g.protocol}` : ''}`;
  return html`consumer group (KIP-848) · assignor ${g.protocol || '–'} · group epoch <span data-testid="group-epoch">${g.groupEpoch}</span> · assignment epoch ${g.assignmentEpoch}`;
}

export function Group({ id }) {
  const session = useSession();
  const path = `/api/groups/${encodeURIComponent(id)}`;
  const { data: g, error, reload } = usePoll(() => api(path), [id], 2000);
  const del = useAction();
  const lagData = useMemo(() => [(g?.lagHistory ?? []).map((p) => p.t / 1000), (g?.lagHistory ?? []).map((p) => p.lag)], [g]);
  const remove = async () => { if (await del.run(() => api(path, { method: 'DELETE' }))) location.hash = href('groups'); };
  const empty = g?.state === 'Empty' || g?.state === 'Dead';
  const consumer = g?.type === 'consumer';
  const totals = (g?.offsets ?? []).reduce((a, o) => ({ lag: a.lag + o.lag, end: a.end + o.endOffset, committed: a.committed + Math.max(0, o.committed) }), { lag: 0, end: 0, committed: 0 });
  return html`
    <p class="crumbs"><a href=${href('groups')}>Consumer groups</a> /</p>
    <h1>${id}</h1>
    <${ErrorBox} error=${error} what="Group" />
    ${!g && !error ? html`<${Loading} />` : ''}
    ${g ? html`
      <div class="toolbar">
        <${StateBadge} state=${g.state} />
        <span class="muted"><${GroupFacts} g=${g} /> · ${g.members} members · coordinator ${g.coordinator} · total lag <strong data-testid="total-lag">${fmtNum(g.totalLag)}</strong></span>
        <span class="spacer"></span>
        <${ConfirmButton} label="Delete group" confirmLabel=${`Delete ${id} and its offsets`} onConfirm=${remove}
          disabled=${!session.allowWrites || !empty} title=${!session.allowWrites ? 'writes are off (--http-allow-writes)' : !empty ? 'only an empty group can be deleted' : ''} />
      </div>
      <${ErrorBox} error=${del.error} what="Delete" />
      <h2>Lag over time</h2>
      ${g.lagHistory.length < 2
        ? html`<p class="muted">Sampled every 5 s while the console looks at the group: the chart starts with the second sample.</p>`
        : html`<${TimeChart} series=${LAG_SERIES} data=${lagData} fmt=${fmtNum} label="total lag over time" height=${140} />`}
      <h2>Offsets</h2>
      <table class="grid offsets">
        <thead><tr><th>topic</th><th class="num">partition</th><th class="num">committed</th><th class="num">end offset</th><th class="num">lag</th><th>member</th><th>metadata</th></tr></thead>
        <tbody>
          ${g.offsets.map((o) => html`<tr key=${`${o.topic}:${o.partition}`}>
            <td><a href=${href('topics', o.topic)}>${o.topic}</a></td><td class="num">${o.partition}</td>
            <td class="num">${o.committed < 0 ? 'none' : fmtNum(o.committed)}</td><td class="num">${fmtNum(o.endOffset)}</td>
            <td class=${`num ${o.lag > 0 ? 'warn-text' : ''}`}>${fmtNum(o.lag)}</td>
            <td class="small"><code>${o.memberId ?? '–'}</code></td><td class="small">${o.metadata || ''}</td>
          </tr>`)}
          ${g.offsets.length === 0 ? html`<tr><td colspan="7" class="muted">No committed offsets.</td></tr>` : ''}
        </tbody>
        ${g.offsets.length ? html`<tfoot><tr><th colspan="2">total</th><th class="num">${fmtNum(totals.committed)}</th><th class="num">${fmtNum(totals.end)}</th><th class="num">${fmtNum(totals.lag)}</th><th colspan="2"></th></tr></tfoot>` : ''}
      </table>
      <h2>Members</h2>
      <table class="grid members">
        <thead><tr><th>member</th><th>instance</th><th>client</th><th>host</th>${consumer ? html`<th>rack</th><th class="num">epoch</th>` : ''}<th>assignment</th></tr></thead>
        <tbody>
          ${g.memberDetails.map((m) => html`<tr key=${m.memberId}>
            <td class="small"><code>${m.memberId}</code></td><td>${m.groupInstanceId ?? '–'}</td><td>${m.clientId}</td><td>${m.clientHost}</td>
            ${consumer ? html`<td>${m.rackId ?? '–'}</td><td class="num">${m.memberEpoch}</td>` : ''}
            <td><${MemberAssignment} m=${m} /></td>
          </tr>`)}
          ${g.memberDetails.length === 0 ? html`<tr><td colspan=${consumer ? 7 : 5} class="muted">No members: the group is ${g.state}.</td></tr>` : ''}
        </tbody>
      </table>
      <h2>Reset offsets</h2>
      <${WriteNote} what="Offset resets" />
      ${!empty ? html`<p class="note">Offsets can be reset only while the group is Empty: stop its consumers first.</p>` : ''}
      <${ResetOffsets} group=${id} topics=${[...new Set(g.offsets.map((o) => o.topic))]} disabled=${!session.allowWrites || !empty} onReset=${reload} />` : ''}`;
}
