/**
 * The admin panel's one stylesheet, served from `/admin/assets/panel.css` (the CSP allows styles
 * from the panel's own origin only, never inline).
 */
export const panelStylesheet = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --brand: #1f3a8a; --bg: #f5f7fa;
  --good: #0e7c3a; --warn: #a35b00; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
a { color: var(--brand); }
header.top { display: flex; justify-content: space-between; align-items: center; padding: 10px 20px;
  background: var(--brand); color: #fff; }
header.top .brand { color: #fff; font-weight: 700; font-size: 16px; text-decoration: none; }
header.top form { display: flex; gap: 10px; align-items: center; }
.frame { display: flex; min-height: calc(100vh - 48px); }
nav { width: 190px; flex: none; padding: 16px 0; background: #fff; border-right: 1px solid var(--line); }
nav a { display: block; padding: 6px 20px; text-decoration: none; color: var(--ink); }
nav a.current, nav a:hover { background: var(--bg); color: var(--brand); font-weight: 600; }
main { flex: 1; padding: 20px 28px; min-width: 0; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #fafbfc; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; }
td code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-all; background: #fff; border: 1px solid var(--line);
  padding: 10px; max-height: 420px; overflow: auto; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: var(--line); }
.badge.good { background: #dcf5e5; color: var(--good); }
.badge.warn { background: #fdf0d8; color: var(--warn); }
.badge.bad { background: #fde3e1; color: var(--bad); }
.flash { padding: 8px 12px; border-radius: 4px; }
.flash.ok { background: #dcf5e5; color: var(--good); }
.flash.error { background: #fde3e1; color: var(--bad); }
.filters, .action { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 12px; }
.action { margin: 4px 0; }
input, select, button { font: inherit; padding: 5px 8px; border: 1px solid #cbd2d9; border-radius: 4px;
  background: #fff; }
button { cursor: pointer; background: var(--brand); color: #fff; border-color: var(--brand); }
button.danger { background: var(--bad); border-color: var(--bad); }
header.top button { background: transparent; border-color: #fff; }
.pager { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff;
  border: 1px solid var(--line); padding: 12px 16px; margin: 0 0 16px; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
.chart { background: #fff; border: 1px solid var(--line); padding: 12px 16px; margin: 0; }
.chart h2 { margin: 0 0 8px; }
.chart svg { width: 100%; height: auto; }
.chart .axis { stroke: var(--line); }
.chart .label { font-size: 10px; fill: var(--muted); }
.chart .value { font-size: 10px; fill: var(--ink); }
.chart .series-0 { fill: #1f3a8a; stroke: #1f3a8a; }
.chart .series-1 { fill: #3ebd93; stroke: #3ebd93; }
.chart .series-2 { fill: #f0b429; stroke: #f0b429; }
.chart .series-3 { fill: #ef4e4e; stroke: #ef4e4e; }
.chart .legend { font-size: 11px; fill: var(--ink); }
form.edit { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px 16px;
  background: #fff; border: 1px solid var(--line); padding: 14px 16px; margin: 0 0 16px; }
.field { display: flex; flex-direction: column; gap: 3px; }
.field span { color: var(--muted); font-size: 12px; }
.field small { color: var(--muted); font-size: 11px; }
.field.check { flex-direction: row; align-items: center; gap: 6px; }
form.edit .submit { grid-column: 1 / -1; }
textarea { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; padding: 5px 8px; border: 1px solid #cbd2d9;
  border-radius: 4px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; margin: 0 0 16px; }
.figure { background: #fff; border: 1px solid var(--line); padding: 12px 16px; min-width: 180px; }
.figure span { display: block; color: var(--muted); font-size: 12px; }
.figure strong { font-size: 22px; }
.chart p.note { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.login { max-width: 360px; margin: 60px auto; background: #fff; border: 1px solid var(--line); padding: 24px; }
.login label { display: block; margin: 0 0 12px; }
.login input { width: 100%; }
`
