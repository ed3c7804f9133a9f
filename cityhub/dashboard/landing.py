"""The API index at /api: what is running and where (Chinese and English)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cityhub.hub import Hub

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>cityhub · {city}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem auto;
max-width:52rem;padding:0 1rem;color:#1d2733}}h1{{margin-bottom:.2rem}}
code{{background:#eef2f6;padding:.1rem .3rem}}
li{{margin:.3rem 0}}.muted{{color:#5b6b7b}}</style></head><body>
<h1>cityhub · {city}</h1>
<p class="muted">智慧城市开放平台 · open smart-city platform — store: {store}</p>
<h2>接口 API</h2><ul>
<li><a href="/">/</a> — 运行大屏 operations dashboard</li>
<li><a href="/ngsi-ld/v1/types">/ngsi-ld/v1/types</a> — 实体类型 entity types</li>
<li><a href="/ngsi-ld/v1/entities?type=District&amp;options=keyValues&amp;attrs=name">
/ngsi-ld/v1/entities?type=District</a> — 行政区 districts</li>
<li><a href="/ngsi-ld/v1/attributes">/ngsi-ld/v1/attributes</a> — 属性 attributes;
<a href="/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&amp;lastN=5">temporal history</a>
时序; <a href="/ngsi-ld/v1/subscriptions">subscriptions</a> 订阅;
<a href="/ngsi-ld/v1/csourceRegistrations?type=District">context sources</a> 联邦数据源;
<a href="/ngsi-ld/v1/jsonldContexts">@contexts</a></li>
<li><code>/iot/services</code> (or <code>/iot/groups</code>), <code>/iot/devices</code>,
<code>/iot/deadletters</code> — 设备接入 IoT agent provisioning and dead letters (a department
key); devices send to <code>/iot/json</code>, <code>/iot/d</code> or over MQTT</li>
<li><a href="/open311/v2/services.json">/open311/v2/services.json</a> —
市民诉求服务 Open311 services; <a href="/open311/v2/requests.json">requests</a></li>
<li><a href="/citizen/v1/requests?by_deadline=1">/citizen/v1/requests</a> —
工单队列 request queue; <a href="/citizen/v1/departments/rates">三率 rates</a></li>
<li><a href="/voice/v1/hot-issues">/voice/v1/hot-issues</a> — 热点诉求 hot issues;
<a href="/voice/v1/sentiment">sentiment</a> 情感 (a key)</li>
<li><a href="/catalog/v1/datasets">/catalog/v1/datasets</a> — 数据目录 catalog;
<a href="/api/3/action/package_search">CKAN API</a>; DCAT-AP
<a href="/catalog.ttl">Turtle</a>, <a href="/catalog.jsonld">JSON-LD</a></li>
<li><a href="/survey/v1/forms">/survey/v1/forms</a> — 问卷调查 survey forms; responses at
<code>/survey/v1/forms/{{id}}/responses</code>; each form's page at
<code>/survey/{{form_id}}</code>; a sample's response rates at
<code>/survey/v1/forms/{{id}}/progress</code></li>
<li><a href="/care/v1/kinds">/care/v1</a> — 社区服务 the nearest open service points with free
capacity (<code>/care/v1/nearest?lat=&amp;lon=&amp;service=</code>); residents' page at
<a href="/care">/care</a></li>
<li><a href="/participation/v1/proposals">/participation/v1/proposals</a> — 市民建议 proposals
citizens make, support and discuss, answered by the responsible department</li>
<li><a href="/indicators/v1/indicators">/indicators/v1/indicators</a> — 城市指标 indicators;
<a href="/indicators/v1/latest">latest values</a>, <a href="/indicators/v1/assessments">targets
assessed</a> 目标评估</li>
<li><code>POST /evaluate/v1/did</code>, <code>/synth</code>, <code>/its</code> — 政策评估 policy
evaluation (a key)</li>
<li><a href="/dashboard/v1/config">/dashboard/v1/config</a> — 大屏数据接口 the dashboard's API</li>
<li><a href="/openapi.json">/openapi.json</a> — OpenAPI</li>
<li><a href="/health">/health</a> — 运行状态 health; <a href="/version">/version</a></li></ul>
</body></html>"""


def landing_page(hub: Hub) -> str:
    return _PAGE.format(city=escape(hub.settings.city), store=escape(hub.store.dialect))
