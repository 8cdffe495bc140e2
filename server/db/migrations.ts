/**
 * Forward-only schema migrations. Each entry upgrades the workspace from
 * `user_version = index` to `index + 1`. Never edit a shipped migration: add one.
 */
export const migrations: string[] = [
  // 1: the domain model (see docs/ARCHITECTURE.md)
  `
  CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    split_train INTEGER NOT NULL DEFAULT 20,
    split_dev INTEGER NOT NULL DEFAULT 50,
    split_test INTEGER NOT NULL DEFAULT 30,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CHECK (split_train >= 0 AND split_dev >= 0 AND split_test >= 0 AND split_train + split_dev + split_test = 100)
  );

  CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    output_b TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    dimensions TEXT NOT NULL DEFAULT '{}',
    split TEXT NOT NULL CHECK (split IN ('train','dev','test')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (dataset_id, external_id)
  );
  CREATE INDEX items_dataset_split ON items(dataset_id, split);

  CREATE TABLE criteria (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    scale TEXT NOT NULL DEFAULT 'binary' CHECK (scale IN ('binary','ordinal','pairwise')),
    levels INTEGER,
    pass_at INTEGER,
    principal_annotator TEXT NOT NULL DEFAULT 'expert',
    target_agreement REAL NOT NULL DEFAULT 0.9,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (dataset_id, name)
  );

  -- Append-only: a change is a new row; the current label of an annotator is their latest row.
  CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    verdict TEXT,
    critique TEXT NOT NULL DEFAULT '',
    ambiguous INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'ui',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE INDEX labels_lookup ON labels(criterion_id, item_id, annotator, id);
  CREATE TRIGGER labels_no_update BEFORE UPDATE ON labels
    BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;

  CREATE TABLE prompt_versions (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    template TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT,
    api_key_env TEXT NOT NULL DEFAULT 'OPENAI_API_KEY',
    temperature REAL,
    max_tokens INTEGER,
    seed INTEGER,
    examples TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    parent_id INTEGER REFERENCES prompt_versions(id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (criterion_id, number)
  );
  CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON prompt_versions
    BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    version_id INTEGER REFERENCES prompt_versions(id),
    kind TEXT NOT NULL CHECK (kind IN ('judged','imported')),
    name TEXT NOT NULL DEFAULT '',
    split TEXT NOT NULL DEFAULT 'dev' CHECK (split IN ('train','dev','test','all')),
    scope TEXT NOT NULL DEFAULT 'labelled' CHECK (scope IN ('labelled','all')),
    samples INTEGER NOT NULL DEFAULT 1 CHECK (samples >= 1),
    variant TEXT NOT NULL DEFAULT '{}',
    concurrency INTEGER NOT NULL DEFAULT 8,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','done','failed','cancelled')),
    message TEXT NOT NULL DEFAULT '',
    total INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    heartbeat_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX runs_criterion ON runs(criterion_id, id);

  -- The planned work of a run, fixed when it is created, so a resumed run judges exactly the rest.
  CREATE TABLE run_items (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, item_id)
  ) WITHOUT ROWID;

  CREATE TABLE judgments (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    sample INTEGER NOT NULL DEFAULT 0,
    verdict TEXT,
    critique TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT '',
    error TEXT,
    latency_ms INTEGER,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (run_id, item_id, sample),
    CHECK ((verdict IS NULL) <> (error IS NULL))
  );

  CREATE TABLE root_causes (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (item_id, criterion_id, tag)
  );

  CREATE TABLE response_cache (
    key TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  ) WITHOUT ROWID;

  CREATE TABLE model_prices (
    model TEXT PRIMARY KEY,
    input_per_mtok REAL NOT NULL,
    output_per_mtok REAL NOT NULL
  );
  `,
  // 2: run execution options (rate limits, batch mode, cache bypass) kept for resumption, and the
  //    provider batches a run submitted (one row per Batch API batch; batch_id NULL while being created)
  `
  ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

  CREATE TABLE run_batches (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    nonce TEXT NOT NULL UNIQUE,
    batch_id TEXT,
    requests INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'submitting' CHECK (status IN ('submitting','submitted','collected','abandoned')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE INDEX run_batches_run ON run_batches(run_id, status);
  `,
  // 3: each annotator's current label per item, kept current by triggers on the append-only labels
  //    table, so a report reads one row per item by primary key instead of grouping the whole history
  `
  CREATE TABLE current_labels (
    criterion_id INTEGER NOT NULL,
    annotator TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    verdict TEXT,
    ambiguous INTEGER NOT NULL,
    PRIMARY KEY (criterion_id, annotator, item_id)
  ) WITHOUT ROWID;
  INSERT INTO current_labels (criterion_id, annotator, item_id, label_id, verdict, ambiguous)
    SELECT l.criterion_id, l.annotator, l.item_id, l.id, l.verdict, l.ambiguous FROM labels l
    JOIN (SELECT max(id) AS id FROM labels GROUP BY criterion_id, item_id, annotator) m ON m.id = l.id;
  CREATE TRIGGER labels_current_insert AFTER INSERT ON labels BEGIN
    INSERT INTO current_labels (criterion_id, annotator, item_id, label_id, verdict, ambiguous)
      VALUES (NEW.criterion_id, NEW.annotator, NEW.item_id, NEW.id, NEW.verdict, NEW.ambiguous)
      ON CONFLICT (criterion_id, annotator, item_id) DO UPDATE SET label_id = excluded.label_id, verdict = excluded.verdict, ambiguous = excluded.ambiguous
      WHERE excluded.label_id > current_labels.label_id;
  END;
  -- labels are only deleted with their item or criterion (ON DELETE CASCADE); keep the table exact anyway
  CREATE TRIGGER labels_current_delete AFTER DELETE ON labels BEGIN
    DELETE FROM current_labels WHERE criterion_id = OLD.criterion_id AND annotator = OLD.annotator AND item_id = OLD.item_id AND label_id = OLD.id;
    INSERT OR IGNORE INTO current_labels (criterion_id, annotator, item_id, label_id, verdict, ambiguous)
      SELECT criterion_id, annotator, item_id, id, verdict, ambiguous FROM labels
      WHERE criterion_id = OLD.criterion_id AND annotator = OLD.annotator AND item_id = OLD.item_id ORDER BY id DESC LIMIT 1;
  END;
  `,
  // ─── failure modes, confirmations, publications (assignment "modes"; the lead renumbers at merge) ───
  // 4: product failure-mode tags (open coding), accepted failure modes (axial coding) with their
  //    items, suggested labels of specialised criteria, version origin and candidate acceptance,
  //    confirmations on test and publications.
  //    Versions stay immutable: `origin`, `strategy` and `rationale` are fixed at creation; a
  //    candidate's acceptance is a row of version_acceptances (who, when), never an UPDATE, so the
  //    immutability trigger stays as it is. Status = 'accepted' for origin 'human', else
  //    'accepted' iff an acceptance row exists, else 'candidate'.
  `
  ALTER TABLE prompt_versions ADD COLUMN origin TEXT NOT NULL DEFAULT 'human' CHECK (origin IN ('human','optimizer'));
  ALTER TABLE prompt_versions ADD COLUMN strategy TEXT;
  ALTER TABLE prompt_versions ADD COLUMN rationale TEXT;

  CREATE TABLE version_acceptances (
    version_id INTEGER PRIMARY KEY REFERENCES prompt_versions(id) ON DELETE CASCADE,
    accepted_by TEXT NOT NULL,
    accepted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );

  -- What is wrong with the output, in the expert's words (distinct from root_causes: why the judge disagreed).
  CREATE TABLE failure_tags (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (criterion_id, item_id, tag_key)
  );
  CREATE INDEX failure_tags_key ON failure_tags(criterion_id, tag_key);

  CREATE TABLE failure_modes (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    definition TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    built_from_splits TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('tags','model')),
    accepted INTEGER NOT NULL DEFAULT 0 CHECK (accepted IN (0,1)),
    -- the criterion made from this mode (a specialised judge), if any
    specialised_criterion_id INTEGER REFERENCES criteria(id) ON DELETE SET NULL
  );
  CREATE UNIQUE INDEX failure_modes_accepted_name ON failure_modes(criterion_id, name) WHERE accepted = 1;

  CREATE TABLE failure_mode_items (
    mode_id INTEGER NOT NULL REFERENCES failure_modes(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (mode_id, item_id)
  ) WITHOUT ROWID;

  -- Pre-labels of a criterion made from a failure mode: never labels, so no metric reads them.
  CREATE TABLE suggested_labels (
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    verdict TEXT NOT NULL,
    critique TEXT NOT NULL DEFAULT '',
    from_mode_id INTEGER REFERENCES failure_modes(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (criterion_id, item_id)
  ) WITHOUT ROWID;

  CREATE TABLE confirmations (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES prompt_versions(id) ON DELETE CASCADE,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    split TEXT NOT NULL DEFAULT 'test' CHECK (split = 'test'),
    sequence INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    figures TEXT NOT NULL,
    dev_peeks INTEGER NOT NULL,
    UNIQUE (criterion_id, split, sequence)
  );
  CREATE TRIGGER confirmations_no_update BEFORE UPDATE ON confirmations
    BEGIN SELECT RAISE(ABORT, 'confirmations are a record: they are never changed'); END;

  CREATE TABLE publications (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES prompt_versions(id) ON DELETE CASCADE,
    confirmation_id INTEGER NOT NULL REFERENCES confirmations(id),
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    unpublished_by TEXT,
    unpublished_at TEXT
  );
  CREATE UNIQUE INDEX publications_one_active ON publications(criterion_id) WHERE unpublished_at IS NULL;
  `,
  // ─── end of failure modes, confirmations, publications ───
  // ---- perf2 (wip/perf2): per-run totals kept on write ------------------------------------------
  // 5: each run's done/errors/cached/tokens/cost, kept current by triggers on judgments (and change
  //    counters for items and root causes, below), so listing
  //    runs reads one row per run instead of counting every judgment of every run on each call
  //    (a report at 200k judgments per run spent ~0.4 s in these counts). Deletes subtract (a run
  //    deleted with a million judgments must not recount on every row).
  `
  CREATE TABLE run_totals (
    run_id INTEGER PRIMARY KEY,
    done INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0
  );
  INSERT INTO run_totals (run_id, done, errors, cached, prompt_tokens, completion_tokens, cost)
    SELECT run_id, count(*), coalesce(sum(error IS NOT NULL), 0), coalesce(sum(cached), 0), coalesce(sum(prompt_tokens), 0),
      coalesce(sum(completion_tokens), 0), coalesce(sum(cost), 0) FROM judgments GROUP BY run_id;
  CREATE TRIGGER judgments_totals_insert AFTER INSERT ON judgments BEGIN
    INSERT INTO run_totals (run_id, done, errors, cached, prompt_tokens, completion_tokens, cost)
      VALUES (NEW.run_id, 1, NEW.error IS NOT NULL, NEW.cached, NEW.prompt_tokens, NEW.completion_tokens, NEW.cost)
      ON CONFLICT (run_id) DO UPDATE SET done = done + 1, errors = errors + excluded.errors, cached = cached + excluded.cached,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
        cost = cost + excluded.cost;
  END;
  CREATE TRIGGER judgments_totals_delete AFTER DELETE ON judgments BEGIN
    UPDATE run_totals SET done = done - 1, errors = errors - (OLD.error IS NOT NULL), cached = cached - OLD.cached,
      prompt_tokens = prompt_tokens - OLD.prompt_tokens, completion_tokens = completion_tokens - OLD.completion_tokens,
      cost = cost - OLD.cost WHERE run_id = OLD.run_id;
  END;
  -- judgments are never updated today; if one is, recount that run so the totals stay exact
  CREATE TRIGGER judgments_totals_update AFTER UPDATE ON judgments BEGIN
    DELETE FROM run_totals WHERE run_id IN (OLD.run_id, NEW.run_id);
    INSERT INTO run_totals (run_id, done, errors, cached, prompt_tokens, completion_tokens, cost)
      SELECT run_id, count(*), coalesce(sum(error IS NOT NULL), 0), coalesce(sum(cached), 0), coalesce(sum(prompt_tokens), 0),
        coalesce(sum(completion_tokens), 0), coalesce(sum(cost), 0) FROM judgments WHERE run_id IN (OLD.run_id, NEW.run_id) GROUP BY run_id;
  END;
  CREATE TRIGGER runs_totals_delete AFTER DELETE ON runs BEGIN
    DELETE FROM run_totals WHERE run_id = OLD.id;
  END;

  -- Change counters for what a cached report cannot see from max(id)s: items updated in place
  -- (re-import) or deleted, root-cause tags added or removed. Heavy reads key their caches and
  -- in-flight computations on these plus max(label id), run statuses and run totals.
  CREATE TABLE data_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO data_versions (name, version) VALUES ('items', 0), ('root_causes', 0);
  CREATE TRIGGER items_version_update AFTER UPDATE ON items BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'items'; END;
  CREATE TRIGGER items_version_delete AFTER DELETE ON items BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'items'; END;
  CREATE TRIGGER root_causes_version_insert AFTER INSERT ON root_causes BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'root_causes'; END;
  CREATE TRIGGER root_causes_version_delete AFTER DELETE ON root_causes BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'root_causes'; END;
  `,
  // ---- end perf2 -----------------------------------------------------------------------------------
  // ─── engine tasks and the call record (assignment "engine"; the lead renumbers at merge) ───
  // 6: what a run actually used (resolved when it executes, so later defaults never rewrite history);
  //    engine tasks — model calls that are not judge runs (the optimizer's proposer, failure-mode
  //    grouping), each one call whose inputs are stored; and model_calls, one row per model call of
  //    any kind (judge or task): what it was for, where it went (never the key), a hash of the
  //    request, what came back, tokens, cost, latency, attempts, cached.
  //    A judge call's reply text lives in its judgment (judgments.raw, same run/item/sample), so it is
  //    not stored twice; a task call's reply is kept here (bounded by the reply cap).
  `
  ALTER TABLE runs ADD COLUMN base_url TEXT;
  ALTER TABLE runs ADD COLUMN model TEXT;
  ALTER TABLE runs ADD COLUMN settings TEXT;

  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('propose','group-critiques')),
    criterion_id INTEGER REFERENCES criteria(id) ON DELETE CASCADE,
    inputs TEXT NOT NULL,
    -- the endpoint as asked for: model, baseUrl (or null), apiKeyEnv, temperature, maxTokens, seed
    settings TEXT NOT NULL,
    -- where the call goes, resolved when the task was created
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','done','failed','cancelled')),
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    owner TEXT,
    heartbeat_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX tasks_unfinished ON tasks(status) WHERE status IN ('queued','running');

  CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY,
    task_kind TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    item_id INTEGER,
    sample INTEGER,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    -- SHA-256 of (rendered messages, model, settings, base URL, sample): the response-cache key
    request_hash TEXT NOT NULL,
    reply TEXT,
    error TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    latency_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0,1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CHECK ((run_id IS NULL) <> (task_id IS NULL))
  );
  CREATE INDEX model_calls_run ON model_calls(run_id) WHERE run_id IS NOT NULL;
  CREATE INDEX model_calls_task ON model_calls(task_id) WHERE task_id IS NOT NULL;
  `,
  // ─── end of engine tasks and the call record ───
  // ─── optimizer (assignment "optimizer"; the lead renumbers at merge) ───
  // 7: an optimization — what was asked (criterion, from-version, strategies, K, budget, call cap,
  //    proposer endpoint), its status and counters, and its candidates (one row per step: the
  //    candidate version, its parent, strategy, rationale, the runs that scored it on train and dev,
  //    and the metrics they gave). Every call it makes is an ordinary run or task of the engine.
  `
  CREATE TABLE optimizations (
    id INTEGER PRIMARY KEY,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    from_version_id INTEGER NOT NULL REFERENCES prompt_versions(id),
    strategies TEXT NOT NULL,
    candidate_count INTEGER NOT NULL,
    shots INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    budget_usd REAL,
    max_calls INTEGER,
    -- the proposer endpoint as asked for: model, baseUrl (or null), apiKeyEnv — never a key
    proposer TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','done','failed','cancelled','stopped-by-budget')),
    message TEXT NOT NULL DEFAULT '',
    judge_calls INTEGER NOT NULL DEFAULT 0,
    proposer_calls INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    dev_peeks INTEGER NOT NULL DEFAULT 0,
    base_train_run_id INTEGER REFERENCES runs(id),
    base_dev_run_id INTEGER REFERENCES runs(id),
    owner TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at TEXT
  );
  CREATE INDEX optimizations_criterion ON optimizations(criterion_id);
  CREATE TABLE optimization_candidates (
    id INTEGER PRIMARY KEY,
    optimization_id INTEGER NOT NULL REFERENCES optimizations(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES prompt_versions(id),
    parent_version_id INTEGER NOT NULL REFERENCES prompt_versions(id),
    strategy TEXT NOT NULL CHECK (strategy IN ('fewshot','rewrite','combined')),
    rationale TEXT NOT NULL DEFAULT '',
    task_id INTEGER REFERENCES tasks(id),
    train_run_id INTEGER REFERENCES runs(id),
    dev_run_id INTEGER REFERENCES runs(id),
    -- JSON {n, agreement, kappa} (intervals) once scored
    train TEXT,
    dev TEXT,
    kept INTEGER CHECK (kept IN (0,1)),
    UNIQUE (optimization_id, step)
  );
  `,
  // 8: an optimization's lease, like a run's: its executor renews heartbeat_at while it works, so
  //    `serve`'s watcher can take over one whose process died (kill -9) or whose lease went stale.
  `
  ALTER TABLE optimizations ADD COLUMN heartbeat_at TEXT;
  `,
  // ─── end of optimizer ───
  // 9: "Keep label — judge wrong": the expert reviewed a disagreement of a run and stands by the
  // label. A decision stored in the workspace (who, when, which run, which label), seen by all.
  `
  CREATE TABLE judge_wrong_reviews (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (run_id, item_id)
  ) WITHOUT ROWID;
  CREATE INDEX judge_wrong_reviews_criterion ON judge_wrong_reviews(criterion_id);
  `,
  // ─── endpoint profiles (assignment "profiles"; the lead renumbers at merge) ───
  // 10: endpoints live in the workspace: a profile names a base URL (null = OPENAI_BASE_URL / the OpenAI
  // API), the environment variable holding the key ('' = no key; the secrets rule in
  // server/judge/secrets.ts decides where it may go), a default model and rate/reply limits. A
  // version names its profile; a run records the profile it used (an override of the version's)
  // beside the base URL/model/settings it resolved. Existing versions' (base_url, api_key_env)
  // pairs become profiles: "openai" for the default URL, the URL's host:port otherwise (suffixed
  // -2, -3… when one name would cover several pairs). model_calls may also record a connection
  // test, which belongs to neither a run nor a task.
  `
  CREATE TABLE endpoint_profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    base_url TEXT,
    api_key_env TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    rpm REAL,
    tpm REAL,
    max_reply_bytes INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  ALTER TABLE prompt_versions ADD COLUMN profile_id INTEGER REFERENCES endpoint_profiles(id);
  ALTER TABLE runs ADD COLUMN profile_id INTEGER REFERENCES endpoint_profiles(id) ON DELETE SET NULL;
  ALTER TABLE runs ADD COLUMN profile_name TEXT;

  INSERT INTO endpoint_profiles (name, base_url, api_key_env, model)
    SELECT CASE WHEN rn = 1 THEN base ELSE base || '-' || rn END, base_url, api_key_env, model FROM (
      SELECT base_url, api_key_env, model, base, first_id, row_number() OVER (PARTITION BY base ORDER BY first_id) AS rn FROM (
        SELECT base_url, api_key_env, max(model) AS model, min(id) AS first_id,
          CASE WHEN base_url IS NULL OR base_url = '' THEN 'openai' ELSE (
            WITH r(rest) AS (SELECT substr(base_url, instr(base_url, '://') + 3)),
                 h(hp) AS (SELECT CASE WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1) ELSE rest END FROM r)
            SELECT CASE WHEN instr(hp, '@') > 0 THEN substr(hp, instr(hp, '@') + 1) ELSE hp END FROM h) END AS base
        FROM prompt_versions GROUP BY base_url, api_key_env)) ORDER BY first_id;

  DROP TRIGGER prompt_versions_immutable;
  UPDATE prompt_versions SET profile_id = (SELECT p.id FROM endpoint_profiles p
    WHERE coalesce(p.base_url, '') = coalesce(prompt_versions.base_url, '') AND p.api_key_env = prompt_versions.api_key_env);
  CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON prompt_versions
    BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;

  CREATE TABLE model_calls_new (
    id INTEGER PRIMARY KEY,
    task_kind TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    item_id INTEGER,
    sample INTEGER,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    reply TEXT,
    error TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    latency_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0,1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    -- the profile a connection test tried (null for other calls, which name their run or task)
    profile_id INTEGER REFERENCES endpoint_profiles(id) ON DELETE SET NULL,
    -- a connection test belongs to neither a run nor a task; every other call to exactly one
    CHECK (CASE WHEN task_kind = 'connection-test' THEN run_id IS NULL AND task_id IS NULL ELSE (run_id IS NULL) <> (task_id IS NULL) END)
  );
  INSERT INTO model_calls_new (id, task_kind, run_id, task_id, item_id, sample, base_url, model, request_hash, reply, error,
      prompt_tokens, completion_tokens, cost, latency_ms, attempts, cached, created_at)
    SELECT id, task_kind, run_id, task_id, item_id, sample, base_url, model, request_hash, reply, error,
      prompt_tokens, completion_tokens, cost, latency_ms, attempts, cached, created_at FROM model_calls;
  DROP TABLE model_calls;
  ALTER TABLE model_calls_new RENAME TO model_calls;
  CREATE INDEX model_calls_run ON model_calls(run_id) WHERE run_id IS NOT NULL;
  CREATE INDEX model_calls_task ON model_calls(task_id) WHERE task_id IS NOT NULL;
  `,
  // ─── end of endpoint profiles ───
  // ─── report outcome columns (assignment "perf4"; the lead renumbers at merge) ───
  // 11: each planned item of a run carries its sample-0 judgment's outcome (judged 0/1, verdict),
  // kept current by triggers on judgments (insert, update, delete) and on run_items (a judgment
  // recorded before its item was planned), so a report or gate reads the run's items without
  // looking up each judgment (server/db/alignment.ts: runRows, headlineCounts).
  `
  ALTER TABLE run_items ADD COLUMN judged INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE run_items ADD COLUMN verdict TEXT;
  UPDATE run_items SET judged = 1,
      verdict = (SELECT j.verdict FROM judgments j WHERE j.run_id = run_items.run_id AND j.item_id = run_items.item_id AND j.sample = 0)
    WHERE EXISTS (SELECT 1 FROM judgments j WHERE j.run_id = run_items.run_id AND j.item_id = run_items.item_id AND j.sample = 0);
  CREATE TRIGGER judgments_outcome_insert AFTER INSERT ON judgments WHEN NEW.sample = 0 BEGIN
    UPDATE run_items SET judged = 1, verdict = NEW.verdict WHERE run_id = NEW.run_id AND item_id = NEW.item_id;
  END;
  CREATE TRIGGER judgments_outcome_update AFTER UPDATE OF run_id, item_id, sample, verdict ON judgments BEGIN
    UPDATE run_items SET judged = 0, verdict = NULL WHERE OLD.sample = 0 AND run_id = OLD.run_id AND item_id = OLD.item_id;
    UPDATE run_items SET judged = 1, verdict = NEW.verdict WHERE NEW.sample = 0 AND run_id = NEW.run_id AND item_id = NEW.item_id;
  END;
  CREATE TRIGGER judgments_outcome_delete AFTER DELETE ON judgments WHEN OLD.sample = 0 BEGIN
    UPDATE run_items SET judged = 0, verdict = NULL WHERE run_id = OLD.run_id AND item_id = OLD.item_id;
  END;
  CREATE TRIGGER run_items_outcome_insert AFTER INSERT ON run_items
    WHEN EXISTS (SELECT 1 FROM judgments WHERE run_id = NEW.run_id AND item_id = NEW.item_id AND sample = 0) BEGIN
    UPDATE run_items SET judged = 1, verdict = (SELECT verdict FROM judgments WHERE run_id = NEW.run_id AND item_id = NEW.item_id AND sample = 0)
      WHERE run_id = NEW.run_id AND item_id = NEW.item_id;
  END;
  `,
  // ─── end of report outcome columns ───
  // 12: each planned item of a run also carries its criterion's principal annotator's current label
  // (label id, verdict, ambiguous; NULL label = none), kept current by triggers on current_labels
  // (a label saved, replaced or deleted after the run was judged), on run_items (planning) and on
  // criteria (another principal), so the reports, gates and comparisons against the principal read
  // a run's items without looking up each label (server/db/alignment.ts).
  `
  ALTER TABLE run_items ADD COLUMN expert_label_id INTEGER;
  ALTER TABLE run_items ADD COLUMN expert_verdict TEXT;
  ALTER TABLE run_items ADD COLUMN expert_ambiguous INTEGER NOT NULL DEFAULT 0;
  UPDATE run_items SET expert_label_id = cl.label_id, expert_verdict = cl.verdict, expert_ambiguous = cl.ambiguous
    FROM runs r JOIN criteria c ON c.id = r.criterion_id
    JOIN current_labels cl ON cl.criterion_id = c.id AND cl.annotator = c.principal_annotator
    WHERE r.id = run_items.run_id AND cl.item_id = run_items.item_id;
  CREATE TRIGGER current_labels_expert_insert AFTER INSERT ON current_labels
    WHEN NEW.annotator = (SELECT principal_annotator FROM criteria WHERE id = NEW.criterion_id) BEGIN
    UPDATE run_items SET expert_label_id = NEW.label_id, expert_verdict = NEW.verdict, expert_ambiguous = NEW.ambiguous
      WHERE run_id IN (SELECT id FROM runs WHERE criterion_id = NEW.criterion_id) AND item_id = NEW.item_id;
  END;
  CREATE TRIGGER current_labels_expert_update AFTER UPDATE ON current_labels BEGIN
    UPDATE run_items SET expert_label_id = NULL, expert_verdict = NULL, expert_ambiguous = 0
      WHERE OLD.annotator = (SELECT principal_annotator FROM criteria WHERE id = OLD.criterion_id)
        AND run_id IN (SELECT id FROM runs WHERE criterion_id = OLD.criterion_id) AND item_id = OLD.item_id;
    UPDATE run_items SET expert_label_id = NEW.label_id, expert_verdict = NEW.verdict, expert_ambiguous = NEW.ambiguous
      WHERE NEW.annotator = (SELECT principal_annotator FROM criteria WHERE id = NEW.criterion_id)
        AND run_id IN (SELECT id FROM runs WHERE criterion_id = NEW.criterion_id) AND item_id = NEW.item_id;
  END;
  CREATE TRIGGER current_labels_expert_delete AFTER DELETE ON current_labels
    WHEN OLD.annotator = (SELECT principal_annotator FROM criteria WHERE id = OLD.criterion_id) BEGIN
    UPDATE run_items SET expert_label_id = NULL, expert_verdict = NULL, expert_ambiguous = 0
      WHERE run_id IN (SELECT id FROM runs WHERE criterion_id = OLD.criterion_id) AND item_id = OLD.item_id AND expert_label_id = OLD.label_id;
  END;
  -- planning an item copies its label (Concur's own inserts give the columns; the trigger only corrects others)
  CREATE TRIGGER run_items_expert_insert AFTER INSERT ON run_items
    WHEN NEW.expert_label_id IS NOT (SELECT cl.label_id FROM runs r JOIN criteria c ON c.id = r.criterion_id
      JOIN current_labels cl ON cl.criterion_id = c.id AND cl.annotator = c.principal_annotator AND cl.item_id = NEW.item_id WHERE r.id = NEW.run_id) BEGIN
    UPDATE run_items SET expert_label_id = NULL, expert_verdict = NULL, expert_ambiguous = 0 WHERE run_id = NEW.run_id AND item_id = NEW.item_id;
    UPDATE run_items SET expert_label_id = cl.label_id, expert_verdict = cl.verdict, expert_ambiguous = cl.ambiguous
      FROM runs r JOIN criteria c ON c.id = r.criterion_id
      JOIN current_labels cl ON cl.criterion_id = c.id AND cl.annotator = c.principal_annotator
      WHERE run_items.run_id = NEW.run_id AND run_items.item_id = NEW.item_id AND r.id = NEW.run_id AND cl.item_id = NEW.item_id;
  END;
  CREATE TRIGGER criteria_principal_expert AFTER UPDATE OF principal_annotator ON criteria
    WHEN NEW.principal_annotator IS NOT OLD.principal_annotator BEGIN
    UPDATE run_items SET expert_label_id = NULL, expert_verdict = NULL, expert_ambiguous = 0
      WHERE run_id IN (SELECT id FROM runs WHERE criterion_id = NEW.id);
    UPDATE run_items SET expert_label_id = cl.label_id, expert_verdict = cl.verdict, expert_ambiguous = cl.ambiguous
      FROM current_labels cl
      WHERE run_items.run_id IN (SELECT id FROM runs WHERE criterion_id = NEW.id)
        AND cl.criterion_id = NEW.id AND cl.annotator = NEW.principal_annotator AND cl.item_id = run_items.item_id;
  END;
  `,
  // 13: what a report reads of an item, without its texts: the output's length in UTF-16 code units
  // (what the verbosity check measures; written by the items repository, the only writer of items),
  // its dimensions as the id of an interned dimension set (items with the same dimensions share one),
  // and a covering index of split, length and dimension set, so a report over items with long texts
  // never reads the texts (or their overflow pages). Report queries name it (INDEXED BY items_report).
  `
  CREATE TABLE dimension_sets (id INTEGER PRIMARY KEY, dimensions TEXT NOT NULL UNIQUE);
  INSERT INTO dimension_sets (dimensions) SELECT DISTINCT dimensions FROM items ORDER BY 1;
  ALTER TABLE items ADD COLUMN output_chars INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE items ADD COLUMN dimension_set_id INTEGER;
  UPDATE items SET
    output_chars = CASE WHEN octet_length(output) = length(output) THEN length(output) ELSE concur_utf16_length(output) END,
    dimension_set_id = (SELECT d.id FROM dimension_sets d WHERE d.dimensions = items.dimensions);
  CREATE INDEX items_report ON items(id, dataset_id, split, output_chars, dimension_set_id);
  -- The items repository gives the id of an existing set; a new set (or a writer that gives none) is
  -- interned here. An update that changes the dimensions without the right id is corrected too.
  CREATE TRIGGER items_dimension_set_insert AFTER INSERT ON items WHEN NEW.dimension_set_id IS NULL BEGIN
    INSERT OR IGNORE INTO dimension_sets (dimensions) VALUES (NEW.dimensions);
    UPDATE items SET dimension_set_id = (SELECT id FROM dimension_sets WHERE dimensions = NEW.dimensions) WHERE id = NEW.id;
  END;
  CREATE TRIGGER items_dimension_set_update AFTER UPDATE OF dimensions, dimension_set_id ON items
    WHEN NEW.dimension_set_id IS NULL OR NEW.dimension_set_id IS NOT (SELECT id FROM dimension_sets WHERE dimensions = NEW.dimensions) BEGIN
    INSERT OR IGNORE INTO dimension_sets (dimensions) VALUES (NEW.dimensions);
    UPDATE items SET dimension_set_id = (SELECT id FROM dimension_sets WHERE dimensions = NEW.dimensions) WHERE id = NEW.id;
  END;
  -- the judgments beyond each item's first sample (k-sample runs only): how many samples a run
  -- recorded is one seek instead of a scan of the run's judgments
  CREATE INDEX judgments_later_samples ON judgments(run_id, sample) WHERE sample > 0;
  `,
];
