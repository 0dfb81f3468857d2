/* The organisation chart (會員關係總圖表): an ECharts tree that loads one level at a time.
 *
 * The page opens at one member (or, for staff, at the organisation's sources) and asks the
 * JSON API for that member and their direct referrals only; every click on a member fetches
 * that member's direct referrals (50 at a time, with a "more" node), so a member with 100,000
 * descendants opens as fast as one with ten. The server decides what a viewer may see: names
 * arrive already masked for members, and anything outside their downline answers 403.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("org-chart-config").textContent);
  var labels = config.labels || {};

  // 層 as the glossary counts it on both charts: 1 = a direct referral of the chart's top.
  function levelText(level) {
    if (level === null || level === undefined) return "—";
    return level === 0 && labels.levelZero ? labels.levelZero : String(level);
  }
  var container = document.getElementById("org-chart");
  var detail = document.getElementById("node-detail");
  var statusLine = document.getElementById("chart-status");
  var breadcrumb = document.getElementById("chart-breadcrumb");
  var searchForm = document.getElementById("chart-search");
  var searchResults = document.getElementById("chart-search-results");
  var chart = echarts.init(container, null, { renderer: "canvas" });

  var nodes = {}; // id -> tree item (the objects handed to ECharts)
  var root = null;
  var selectedId = null;
  var loads = 0;
  var salesPending = 0;

  function money(value, figures) {
    if (figures && figures.has_sales === false) return "…";
    var n = Number(value || 0);
    return "NT$" + n.toLocaleString("zh-TW", { maximumFractionDigits: 0 });
  }

  function text(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key];
    });
  }

  function query(extra) {
    var params = new URLSearchParams({ start: config.start, end: config.end });
    Object.keys(extra || {}).forEach(function (k) {
      params.set(k, extra[k]);
    });
    return params.toString();
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            var error = new Error(body.detail || response.statusText);
            error.status = response.status;
            throw error;
          }
          return body;
        });
      }
    );
  }

  function fail(error) {
    statusLine.textContent = (error && error.message) || labels.error;
    statusLine.classList.add("is-error");
  }

  function makeItem(data) {
    var tagColor = data.tags && data.tags.length ? data.tags[0].color : null;
    var item = {
      id: String(data.id),
      name: data.name,
      value: data.downline,
      figures: data,
      loaded: false,
      expanded: false,
      total: 0,
      children: undefined,
      collapsed: true,
    };
    item.itemStyle = {
      color: data.direct_referrals > 0 ? "#2f6b3a" : "#fff",
      borderColor: tagColor || "#2f6b3a",
      borderWidth: tagColor ? 3 : 1.5,
    };
    nodes[item.id] = item;
    return item;
  }

  function label(item) {
    if (item.isMore) return item.name;
    var f = item.figures;
    var tags = (f.tags || [])
      .map(function (t) {
        return "★" + t.name;
      })
      .join(" ");
    var line = (f.downline || 0) + " · " + money(f.downline_sales, f);
    return "{name|" + item.name + (tags ? " " + tags : "") + "}\n{fig|" + line + "}";
  }

  function visibleLeaves(item) {
    if (!item.children || !item.children.length || item.collapsed) return 1;
    return item.children.reduce(function (sum, child) {
      return sum + visibleLeaves(child);
    }, 0);
  }

  function render() {
    var leaves = visibleLeaves(root);
    var height = Math.max(420, Math.min(leaves * 44 + 80, 6000));
    if (container.style.height !== height + "px") {
      container.style.height = height + "px";
      chart.resize();
    }
    container.dataset.idle = "0";
    chart.setOption(
      {
        tooltip: {
          trigger: "item",
          triggerOn: "mousemove",
          formatter: function (params) {
            var item = nodes[params.data.id];
            if (!item || item.isMore || item.virtual) return params.name;
            var f = item.figures;
            return [
              "<strong>" + echarts.format.encodeHTML(item.name) + "</strong>",
              labels.joined + ": " + (f.joined || "—"),
              labels.direct + ": " + f.direct_referrals,
              labels.downline + ": " + f.downline,
              labels.personal + ": " + money(f.personal_sales, f),
              labels.downlineSales + ": " + money(f.downline_sales, f),
            ].join("<br>");
          },
        },
        series: [
          {
            type: "tree",
            data: [root],
            left: 150,
            right: 200,
            top: 24,
            bottom: 24,
            orient: "LR",
            roam: true,
            expandAndCollapse: false,
            animationDurationUpdate: 350,
            symbol: "circle",
            symbolSize: 14,
            label: {
              position: "left",
              verticalAlign: "middle",
              align: "right",
              formatter: function (params) {
                var item = nodes[params.data.id];
                return item ? label(item) : params.name;
              },
              rich: {
                name: { fontSize: 13, fontWeight: "bold", color: "#1f2a22", lineHeight: 18 },
                fig: { fontSize: 11, color: "#5c6b60", lineHeight: 15 },
              },
            },
            leaves: { label: { position: "right", align: "left" } },
            emphasis: { focus: "none" },
          },
        ],
      },
      { replaceMerge: ["series"] }
    );
    container.dataset.ready = String(loads);
    container.dataset.selected = selectedId || "";
  }

  /* Sales figures arrive in a second request: the structure and counts read only the tree's
   * index and draw at once even for a huge downline; the sales, read from the roll-ups,
   * follow. */
  function updateFigures(list) {
    list.forEach(function (data) {
      var item = nodes[String(data.id)];
      if (!item) return;
      item.figures = data;
      item.name = data.name;
    });
    render();
    if (selectedId && nodes[selectedId] && !nodes[selectedId].isMore) showDetail(nodes[selectedId]);
    salesPending -= 1;
    container.dataset.salesPending = String(salesPending);
  }

  function childrenUrl(item, offset, withSales) {
    var extra = {
      offset: offset || 0,
      limit: config.pageSize,
      sales: withSales ? "true" : "false",
    };
    return item.virtual
      ? config.api + "/sources?" + query(extra)
      : config.api + "/members/" + item.id + "/children?" + query(extra);
  }

  function loadChildren(item, offset) {
    var url = childrenUrl(item, offset, false);
    statusLine.classList.remove("is-error");
    return getJSON(url).then(function (body) {
      salesPending += 1;
      container.dataset.salesPending = String(salesPending);
      getJSON(childrenUrl(item, offset, true))
        .then(function (full) {
          updateFigures(full.items);
          if (item.virtual) sumSources(item);
        })
        .catch(fail);
      var children = (item.children || []).filter(function (c) {
        return !c.isMore;
      });
      body.items.forEach(function (data) {
        children.push(nodes[String(data.id)] && nodes[String(data.id)].loaded ? nodes[String(data.id)] : makeItem(data));
      });
      // A page answers count, limit, offset and items: more follow while offset + items < count.
      var nextOffset = body.offset + body.items.length;
      if (nextOffset < body.count) {
        var moreId = "more-" + item.id;
        var more = {
          id: moreId,
          name: "… " + text(labels.more, { n: body.count - nextOffset }),
          isMore: true,
          parentId: item.id,
          offset: nextOffset,
          itemStyle: { color: "#f1f3f0", borderColor: "#9aa79c" },
          symbol: "roundRect",
        };
        nodes[moreId] = more;
        children.push(more);
      }
      item.children = children;
      if (item.virtual) sumSources(item);
      item.loaded = true;
      item.total = body.count;
      item.collapsed = false;
      item.expanded = true;
      loads += 1;
      statusLine.textContent = text(labels.loadedChildren, {
        n: children.filter(function (c) {
          return !c.isMore;
        }).length,
        total: body.count,
        name: item.name,
      });
      render();
      return item;
    });
  }

  function sumSources(item) {
    // The organisation's totals, from the sources loaded so far.
    var members = 0;
    var sales = 0;
    var complete = true;
    (item.children || []).forEach(function (c) {
      if (c.isMore) return;
      members += 1 + c.figures.downline;
      sales += Number(c.figures.downline_sales) + Number(c.figures.personal_sales);
      complete = complete && c.figures.has_sales !== false;
    });
    item.figures.downline = members;
    item.figures.downline_sales = sales;
    item.figures.has_sales = complete;
  }

  function toggle(item) {
    if (item.isMore) {
      return loadChildren(nodes[item.parentId], item.offset);
    }
    if (!item.loaded) {
      if (!item.virtual && !(item.figures && item.figures.direct_referrals > 0)) {
        render();
        return Promise.resolve(item);
      }
      return loadChildren(item, 0);
    }
    item.collapsed = !item.collapsed;
    item.expanded = !item.collapsed;
    render();
    return Promise.resolve(item);
  }

  function link(href, textContent, className) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = textContent;
    if (className) a.className = className;
    return a;
  }

  function showDetail(item) {
    selectedId = item.id;
    container.dataset.selected = item.id;
    detail.innerHTML = "";
    var h = document.createElement("h2");
    h.id = "node-detail-name";
    h.textContent = item.name;
    detail.appendChild(h);
    if (item.virtual) {
      var p = document.createElement("p");
      p.textContent = (item.total || 0) + " " + labels.sources;
      detail.appendChild(p);
      return;
    }
    var f = item.figures;
    (f.tags || []).forEach(function (tag) {
      var badge = document.createElement("span");
      badge.className = "badge tag-badge";
      badge.style.setProperty("--tag-color", tag.color);
      badge.textContent = tag.name;
      detail.appendChild(badge);
    });
    var dl = document.createElement("dl");
    dl.className = "figures";
    var rows = [
      [labels.joined, f.joined || "—"],
      [labels.level, levelText(f.level)],
      [labels.direct, f.direct_referrals],
      [labels.downline, f.downline],
      [labels.personal, f.has_sales === false ? "…" : money(f.personal_sales) + " (" + f.personal_orders + " " + labels.orders + ")"],
      [labels.downlineSales, f.has_sales === false ? "…" : money(f.downline_sales) + " (" + f.downline_orders + " " + labels.orders + ")"],
    ];
    if (f.code) rows.push([labels.code, f.code]);
    if (f.email) rows.push([labels.email, f.email]);
    if (f.phone) rows.push([labels.phone, f.phone]);
    rows.forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    detail.appendChild(dl);
    var actions = document.createElement("div");
    actions.className = "row node-actions";
    if (f.direct_referrals > 0) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-primary";
      button.id = "node-toggle";
      button.textContent = item.expanded ? labels.collapse : labels.expand;
      button.addEventListener("click", function () {
        toggle(item).then(showDetail).catch(fail);
      });
      actions.appendChild(button);
    }
    if (item !== root) {
      actions.appendChild(link(config.chartUrl.replace("{id}", item.id), labels.openHere, "btn btn-sm"));
    }
    actions.appendChild(link(config.levelsUrl.replace("{id}", item.id), labels.levels, "btn btn-sm"));
    actions.appendChild(link(config.downlineUrl.replace("{id}", item.id), labels.list, "btn btn-sm"));
    detail.appendChild(actions);
  }

  function showBreadcrumb(uplines) {
    breadcrumb.innerHTML = "";
    if (!uplines || !uplines.length) return;
    var ol = document.createElement("ol");
    uplines.forEach(function (up) {
      var li = document.createElement("li");
      li.appendChild(link(config.chartUrl.replace("{id}", up.id), up.name));
      ol.appendChild(li);
    });
    breadcrumb.appendChild(ol);
  }

  function openAt(memberId) {
    nodes = {};
    selectedId = null;
    statusLine.classList.remove("is-error");
    if (memberId === null || memberId === undefined) {
      root = { id: "0", name: labels.organisation, virtual: true, loaded: false, collapsed: false, itemStyle: { color: "#d9480f", borderColor: "#d9480f" }, figures: { downline: 0, downline_sales: 0, tags: [] } };
      nodes["0"] = root;
      showBreadcrumb([]);
      return loadChildren(root, 0).then(function (item) {
        showDetail(item);
        return item;
      });
    }
    var nodeUrl = config.api + "/members/" + memberId + "/node?";
    return getJSON(nodeUrl + query({ sales: "false" })).then(function (body) {
      salesPending += 1;
      getJSON(nodeUrl + query())
        .then(function (full) {
          updateFigures([full.node]);
        })
        .catch(fail);
      root = makeItem(body.node);
      root.collapsed = false;
      showBreadcrumb(body.uplines);
      render();
      showDetail(root);
      if (body.node.direct_referrals > 0) {
        return loadChildren(root, 0).then(function (item) {
          showDetail(item);
          return item;
        });
      }
      loads += 1;
      render();
      return root;
    });
  }

  // Layout animations move the nodes; tests and tools wait for this before locating one.
  chart.on("finished", function () {
    container.dataset.idle = "1";
  });

  chart.on("click", function (params) {
    var item = nodes[params.data && params.data.id];
    if (!item) return;
    if (item.isMore) {
      toggle(item).catch(fail);
      return;
    }
    showDetail(item);
    toggle(item)
      .then(function () {
        showDetail(item);
      })
      .catch(fail);
  });

  function jumpTo(memberId) {
    var url = config.chartUrl.replace("{id}", memberId);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", url + "&start=" + config.start + "&end=" + config.end);
    }
    return openAt(memberId).catch(fail);
  }

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = searchForm.elements.q.value.trim();
    searchResults.innerHTML = "";
    if (!q) return;
    getJSON(config.api + "/search?" + new URLSearchParams({ q: q }).toString())
      .then(function (page) {
        var hits = page.items;
        if (!hits.length) {
          var li = document.createElement("li");
          li.className = "muted";
          li.textContent = labels.noResults;
          searchResults.appendChild(li);
          return;
        }
        hits.forEach(function (hit) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "linklike search-hit";
          button.dataset.memberId = hit.id;
          button.textContent = hit.name + (hit.code ? " · " + hit.code : "");
          button.addEventListener("click", function () {
            searchResults.innerHTML = "";
            jumpTo(hit.id);
          });
          li.appendChild(button);
          var small = document.createElement("span");
          small.className = "small muted";
          small.textContent = " " + labels.level + " " + levelText(hit.level) + " · " + hit.joined;
          li.appendChild(small);
          searchResults.appendChild(li);
        });
      })
      .catch(fail);
  });

  window.addEventListener("resize", function () {
    chart.resize();
  });

  /* For tests and for keyboard users' tools: where a member's node is drawn (page pixels). */
  window.fenrunOrgChart = {
    chart: chart,
    openAt: openAt,
    nodeIds: function () {
      return Object.keys(nodes);
    },
    nodePoint: function (id) {
      var data = chart.getModel().getSeriesByIndex(0).getData();
      for (var i = 0; i < data.count(); i++) {
        var raw = data.getRawDataItem ? data.getRawDataItem(i) : null;
        var nodeId = raw ? raw.id : data.tree.getNodeByDataIndex(i).getModel().get("id");
        if (String(nodeId) === String(id)) {
          var el = data.getItemGraphicEl(i);
          if (!el) return null;
          var point = el.transformCoordToGlobal(0, 0);
          var rect = container.getBoundingClientRect();
          return { x: rect.left + window.scrollX + point[0], y: rect.top + window.scrollY + point[1] };
        }
      }
      return null;
    },
  };

  openAt(config.rootId).catch(fail);
})();
