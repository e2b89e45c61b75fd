/** The report's only styling: inline, no fonts or images fetched, readable on screen and on paper. */
export const STYLE = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --zebra: #f6f8fb; --accent: #2f5fd0;
  --ok: #17803d; --ok-bg: #e5f5ea; --bad: #b42318; --bad-bg: #fdeceb; --warn: #8a5a00; --warn-bg: #fff4d6; --info-bg: #eef2fb; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1220px; margin: 0 auto; padding: 28px 32px 40px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 0.86em; }
header.top { border-bottom: 3px solid var(--ink); padding-bottom: 14px; margin-bottom: 18px; }
header.top .kicker { text-transform: uppercase; letter-spacing: 0.12em; font-size: 0.75rem; color: var(--muted); font-weight: 600; }
header.top h1 { margin: 4px 0 6px; font-size: 1.9rem; line-height: 1.2; }
header.top .digest-line { color: var(--muted); overflow-wrap: anywhere; }
header.top .generated { margin-top: 6px; font-size: 0.8rem; color: var(--muted); }
.banner { border-radius: 8px; padding: 14px 18px; margin: 0 0 18px; font-size: 1.05rem; border: 1px solid; }
.banner strong { letter-spacing: 0.02em; }
.banner.verified { background: var(--ok-bg); border-color: #9dd4ae; color: #0f5a2a; }
.banner.claimed { background: var(--warn-bg); border-color: #f0cf7a; color: #6b4500; }
.banner.refused { background: var(--bad-bg); border-color: #f1a39c; color: #8c1a10; font-size: 1.15rem; border-width: 2px; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 26px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: #fff; }
.card .label { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.08em; color: var(--muted); }
.card .value { font-size: 1.35rem; font-weight: 650; margin-top: 2px; }
.card .sub { font-size: 0.82rem; color: var(--muted); }
.value.ok { color: var(--ok); } .value.bad { color: var(--bad); } .value.warn { color: var(--warn); }
section { margin: 0 0 28px; break-inside: auto; }
section > h2 { font-size: 1.2rem; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: 10px; }
section > p.note { color: var(--muted); margin: 4px 0 10px; font-size: 0.88rem; }
dl.facts + p.note { margin-top: 12px; }
section h3 { font-size: 1rem; margin: 18px 0 6px; }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 0 32px; }
.columns > div > h3:first-child { margin-top: 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 6px 9px; border-bottom: 1px solid var(--line); }
th { font-size: 0.74rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); background: #fff; border-bottom: 2px solid var(--line); }
tbody tr:nth-child(even) > td { background: var(--zebra); }
tbody tr.findings > td { background: #fff; padding-top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 0.74rem; font-weight: 650; letter-spacing: 0.03em;
  text-transform: uppercase; white-space: nowrap; border: 1px solid transparent; }
.badge.ok { background: var(--ok-bg); color: var(--ok); border-color: #b6e0c3; }
.badge.bad { background: var(--bad-bg); color: var(--bad); border-color: #f3b8b2; }
.badge.warn { background: var(--warn-bg); color: var(--warn); border-color: #f0d58f; }
.badge.info { background: var(--info-bg); color: var(--accent); border-color: #c9d6f5; }
.badge.plain { background: #f1f3f6; color: var(--muted); border-color: var(--line); }
.digest .rest { display: none; }
ul.findings { list-style: none; margin: 2px 0 4px; padding: 0 0 0 14px; border-left: 3px solid var(--line); }
ul.findings li { margin: 3px 0; font-size: 0.86rem; }
ul.findings .stmt { display: block; color: var(--muted); overflow-wrap: anywhere; }
footer { margin-top: 34px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.8rem; }
@media print {
  html { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .columns { grid-template-columns: 1fr; }
  .digest .rest { display: inline; }
  .digest .ell { display: none; }
  .digest { overflow-wrap: anywhere; }
  tr, .card, .banner { break-inside: avoid; }
  tbody tr:nth-child(even) > td, .banner, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
