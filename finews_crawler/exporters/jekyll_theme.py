"""The exported site's theme: layouts, includes, stylesheet and the media/stock list pages.

Every link is relative, so the built site works opened from disk (file://) and served under
any sub-path, with no `baseurl` to set: `_includes/root.html` turns the page's own URL into
the way back to the site root (`../../`), and every layout starts links with `{{ root }}`.
Printed front-matter values always go through `| escape` (Liquid prints them, never runs
them). Files are created when missing; a file still holding an earlier release's text (its
SHA-1 is in LEGACY) is upgraded; a file the site owner edited is left alone.
"""

from __future__ import annotations

import hashlib

# Where posts land; POST_DEPTH is how many directories deep that is (the relative back links
# in a post's own text climb that far).
PERMALINK = "/:categories/:year/:month/:day/:title:output_ext"
POST_DEPTH = 4

CONFIG = f"title: finews\ntimezone: Asia/Shanghai\nmarkdown: kramdown\npermalink: {PERMALINK}\n"

# `page.url` + "x" so that "/" and "/dir/" count their last directory; "/a/b.html" -> "../".
ROOT = (
    '{%- assign finews_depth = page.url | append: "x" | split: "/" | size | minus: 2 -%}\n'
    "{%- capture root -%}{%- for i in (1..finews_depth) -%}../{%- endfor -%}{%- endcapture -%}\n"
)

POST_ITEM = """\
<li class="post-item"><time datetime="{{ include.post.date | date_to_xmlschema }}">\
{{ include.post.date | date: "%Y-%m-%d %H:%M" }}</time>
<a class="post-link" href="{{ root }}{{ include.post.url | remove_first: '/' }}">\
{{ include.post.title | escape }}</a>
{%- if include.post.media %} <span class="media">{{ include.post.media | escape }}</span>\
{%- endif -%}
{%- for stock in include.post.stocks %} <a class="stock" href="{{ root }}stock/\
{{ stock.page }}.html">{{ stock.code | escape }}</a>{%- endfor -%}
</li>
"""

DEFAULT = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
{%- include root.html %}
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page.title | escape }} | {{ site.title | escape }}</title>
<link rel="stylesheet" href="{{ root }}assets/finews.css">
</head>
<body>
<header class="site-header">
<a class="site-title" href="{{ root }}index.html">{{ site.title | escape }}</a>
<nav class="site-nav"><a href="{{ root }}index.html">最新</a>
<a href="{{ root }}media.html">媒体</a>
<a href="{{ root }}stocks.html">股票</a></nav>
</header>
<main class="page">
{{ content }}
</main>
<footer class="site-footer">{{ site.posts | size }} 篇文章 · 时间均为北京时间 (+08:00)</footer>
</body>
</html>
"""

POST = """\
---
layout: default
---
{%- include root.html %}
<article class="post">
<h1 class="post-title">{{ page.title | escape }}</h1>
<p class="post-meta"><time datetime="{{ page.date | date_to_xmlschema }}">\
{{ page.date | date: "%Y-%m-%d %H:%M:%S %:z" }}</time>
· <a class="media" href="{{ root }}category/{{ page.categories | first }}.html">\
{{ page.media | default: "新闻" | escape }}</a>
{%- if page.source_link %} · <a class="source" href="{{ page.source_link | escape }}">原文</a>\
{%- endif %}</p>
{%- if page.stocks and page.stocks.size > 0 %}
<p class="stocks">{% for stock in page.stocks %}<a class="stock" href="{{ root }}stock/\
{{ stock.page }}.html">{{ stock.code | escape }}{% if stock.name %} \
{{ stock.name | escape }}{% endif %}</a> {% endfor %}</p>
{%- endif %}
<div class="post-content">
{{ content }}
</div>
</article>
"""

HOME = """\
---
layout: default
---
{%- include root.html %}
<h1>{{ page.title | escape }}</h1>
<ul class="post-list">
{%- for post in site.posts limit: page.per_page offset: page.offset %}
{% include post-item.html post=post %}
{%- endfor %}
</ul>
<nav class="pager">
{%- if page.newer %}<a class="newer" rel="prev" href="{{ root }}{{ page.newer }}">« 较新</a>\
{%- endif %}
<span class="page-number">第 {{ page.page_number }} / {{ page.total_pages }} 页</span>
{%- if page.older %}<a class="older" rel="next" href="{{ root }}{{ page.older }}">较旧 »</a>\
{%- endif %}
</nav>
"""

CATEGORY = """\
---
layout: default
---
{%- include root.html %}
<h1>{{ page.title | escape }}</h1>
<ul class="post-list">
{%- for post in site.categories[page.category] %}
{% include post-item.html post=post %}
{%- endfor %}
</ul>
"""

STOCK = """\
---
layout: default
---
{%- include root.html %}
<h1>{{ page.title | escape }}</h1>
<ul class="post-list">
{%- assign stock_posts = site.posts | where: "stock_pages", page.stock %}
{%- for post in stock_posts %}
{% include post-item.html post=post %}
{%- endfor %}
</ul>
"""

MEDIA_LIST = """\
---
layout: default
title: 媒体
---
{%- include root.html %}
<h1>媒体</h1>
<ul class="index-list">
{%- assign media_pages = site.pages | where: "layout", "category" | sort: "category" %}
{%- for item in media_pages %}
<li><a href="{{ root }}{{ item.url | remove_first: '/' }}">{{ item.title | escape }}</a>
<span class="count">{{ site.categories[item.category] | size }}</span></li>
{%- endfor %}
</ul>
"""

STOCK_LIST = """\
---
layout: default
title: 股票
---
{%- include root.html %}
<h1>股票</h1>
<ul class="index-list">
{%- assign stock_list = site.pages | where: "layout", "stock" | sort: "stock" %}
{%- for item in stock_list %}
{%- assign stock_posts = site.posts | where: "stock_pages", item.stock %}
<li><a href="{{ root }}{{ item.url | remove_first: '/' }}">{{ item.title | escape }}</a>
<span class="count">{{ stock_posts | size }}</span></li>
{%- endfor %}
</ul>
"""

STYLESHEET = """\
body { margin: 0; font: 16px/1.7 -apple-system, "PingFang SC", "Noto Sans CJK SC",
  "Microsoft YaHei", sans-serif; color: #222; background: #f6f7f9; }
a { color: #1a5fb4; text-decoration: none; }
a:hover { text-decoration: underline; }
.site-header { display: flex; align-items: baseline; gap: 2em; padding: .8em 1.5em;
  background: #12355b; }
.site-header a { color: #fff; }
.site-title { font-size: 1.4em; font-weight: bold; }
.site-nav a { margin-right: 1.2em; }
.page { max-width: 52em; margin: 1.5em auto; padding: 1em 2em; background: #fff;
  border-radius: 6px; box-shadow: 0 1px 3px rgba(0, 0, 0, .08); }
h1 { font-size: 1.5em; line-height: 1.4; }
.post-list, .index-list { list-style: none; padding: 0; }
.post-item { padding: .45em 0; border-bottom: 1px solid #eee; }
.post-item time { color: #888; font-size: .85em; margin-right: .6em; }
.media { color: #666; font-size: .85em; margin-left: .4em; }
.post-meta { color: #666; font-size: .9em; }
.post-meta .media { font-size: 1em; margin: 0; }
.stock { display: inline-block; font-size: .8em; padding: 0 .5em; margin: 0 .2em;
  border: 1px solid #c5d5ea; border-radius: 3px; background: #eef4fb; }
.article-body img { max-width: 100%; }
.pager { display: flex; justify-content: space-between; margin-top: 1.2em; }
.count { color: #888; font-size: .85em; margin-left: .5em; }
.site-footer { text-align: center; color: #888; font-size: .85em; padding: 1em; }
"""

SCAFFOLD = {
    "_config.yml": CONFIG,
    "_includes/root.html": ROOT,
    "_includes/post-item.html": POST_ITEM,
    "_layouts/default.html": DEFAULT,
    "_layouts/post.html": POST,
    "_layouts/home.html": HOME,
    "_layouts/category.html": CATEGORY,
    "_layouts/stock.html": STOCK,
    "media.html": MEDIA_LIST,
    "stocks.html": STOCK_LIST,
    "assets/finews.css": STYLESHEET,
}

# SHA-1 of files as earlier releases wrote them: still ours, so they are upgraded.
LEGACY = frozenset(
    {
        "5b1e8abbe9f25c748c1ca7cb3930563836c8df2c",  # _layouts/default.html
        "8c464bbcc8a4711c5ab902bae699c082a578b9ff",  # _layouts/post.html
        "05ba1ae2469b0e1afd10687442cc2f54b1a6ff08",  # _layouts/category.html
        "721c42f0e1b006cb94994618858d422409ee796f",  # index.html (now a generated page)
    }
)


def is_ours(data: bytes) -> bool:
    """A file an earlier release wrote and nobody edited since."""
    return hashlib.sha1(data).hexdigest() in LEGACY
