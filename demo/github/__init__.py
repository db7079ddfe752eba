"""A local GitHub REST API on 127.0.0.1, serving a world of repositories from JSON.

The ``github`` source talks to it exactly as to ``https://api.github.com``, so the demo run and the
tests exercise the same code paths as against GitHub:

- ``/repos/{owner}/{repo}/pulls`` (``state``, ``sort`` = ``created``/``updated``, ``direction``),
  ``/pulls/{number}``, ``/pulls/{number}/reviews``, ``/pulls/{number}/commits``,
  ``/issues`` (``state``, ``since``, ``sort``, ``direction``, ``labels``; pull requests included,
  with their ``pull_request`` key, as GitHub does), ``/releases``, ``/deployments`` (``sha``,
  ``ref``, ``task``, ``environment``), ``/deployments/{id}/statuses``, ``/actions/runs``
  (``created``, ``branch``, ``event``, ``status``, ``head_sha``; wrapped as ``{total_count,
  workflow_runs}``), ``/repos/{owner}/{repo}`` and ``/rate_limit``;
- paging by ``per_page`` (default 30, at most 100) and ``page``, with GitHub's ``Link`` header
  (``prev``, ``next``, ``last``, ``first``);
- a primary rate limit: ``x-ratelimit-limit/remaining/reset/used/resource`` on every answer, a
  budget of ``rate_limit`` requests per ``rate_limit_window_seconds`` and 403 "API rate limit
  exceeded" once it is spent (``/rate_limit``, 304 and 401 answers spend nothing);
- conditional requests: an ``ETag`` on every JSON answer and ``304 Not Modified`` when the
  request's ``If-None-Match`` matches it;
- authentication: with a ``token`` configured, a request whose ``Authorization`` is not
  ``Bearer <token>`` (or ``token <token>``) gets 401 "Bad credentials";
- GitHub's JSON error shape (``message``, ``documentation_url``, ``status``) for 401, 403, 404,
  422 and 429;
- faults, switched from Python (``github.faults.add("secondary_limit", retry_after=1)``) or from
  another process (``POST /_control/faults`` with a JSON body of the same fields,
  ``DELETE /_control/faults``): ``secondary_limit`` (403 with ``retry-after``),
  ``too_many_requests`` (429 with ``retry-after``), ``primary_limit`` (the budget is spent until
  ``retry_after`` seconds from now: 403 with ``x-ratelimit-remaining: 0``), ``server_error``
  (``status``, default 502) and ``disconnect`` (the connection closes without an answer).

The world (``{"now", "repositories": {"owner/repo": {"pulls", "reviews", "pull_commits",
"issues", "releases", "deployments", "deployment_statuses", "workflow_runs"}}}``, objects with
GitHub's field names) is held in ``LocalGitHub.world`` (:mod:`demo.github.server`) and may be
changed between requests: ETags follow the content. ``requests`` logs ``(method, path with
query, status)`` of every request but the control endpoints (status 0: closed without an answer).

Run it in the foreground::

    python -m demo.github --world data/demo/webshop.github.json --port 8766
"""
