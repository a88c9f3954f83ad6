// SPDX-License-Identifier: GPL-2.0
/*
 * The queue on disk: <state dir>/queue.db, SQLite in WAL mode with
 * synchronous=FULL, every change in one transaction, so that neither a
 * kill -9 nor a power cut leaves it half written.
 *
 *   jobs  (guid TEXT PRIMARY KEY, owner, state, priority, display_name,
 *          record BLOB: the kernel's EXPORT_JOB record, updated: unix time,
 *          last_progress: unix time of the job's last progress, or NULL)
 *   files (guid, idx, remote, local, bytes_total, bytes_transferred, completed)
 *   validators (guid, idx, remote, kind, etag, last_modified, total,
 *          mtime_sec, mtime_nsec): what the bytes in a file's temporary
 *          are a version of (struct file_validator), for a resume that
 *          never splices; a table of its own, which store_put() leaves
 *          alone, made in databases of an earlier kbitsd when opened
 *
 * The record is what goes back to the kernel (IMPORT_JOB); the other columns
 * are for people and for kbitsd's own use (the temporaries of a job that is
 * gone from the kernel's queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kbitsd.h"

struct store {
	sqlite3 *db;
	bool batch;		/* in store_batch_begin() .. store_batch_end() */
	sqlite3_stmt *put_job;
	sqlite3_stmt *del_job;
	sqlite3_stmt *del_files;
	sqlite3_stmt *put_file;
	sqlite3_stmt *get_owner;
	sqlite3_stmt *get_progress;
	sqlite3_stmt *get_files;
	sqlite3_stmt *all_records;
	sqlite3_stmt *del_vals;
	sqlite3_stmt *put_val;
	sqlite3_stmt *get_vals;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"PRAGMA foreign_keys=ON;"
	/* records hold jobs' secrets: what is deleted is overwritten with zeros */
	"PRAGMA secure_delete=ON;"
	"CREATE TABLE IF NOT EXISTS jobs ("
	"  guid TEXT PRIMARY KEY,"
	"  owner INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  display_name TEXT NOT NULL,"
	"  record BLOB NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  last_progress INTEGER);"
	"CREATE TABLE IF NOT EXISTS files ("
	"  guid TEXT NOT NULL REFERENCES jobs(guid) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  remote TEXT NOT NULL,"
	"  local TEXT NOT NULL,"
	"  bytes_total INTEGER,"	/* NULL: not known yet */
	"  bytes_transferred INTEGER NOT NULL,"
	"  completed INTEGER NOT NULL,"
	"  PRIMARY KEY (guid, idx));"
	"CREATE TABLE IF NOT EXISTS validators ("
	"  guid TEXT NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  remote TEXT NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  etag TEXT NOT NULL,"
	"  last_modified TEXT NOT NULL,"
	"  total INTEGER,"		/* NULL: not known */
	"  mtime_sec INTEGER NOT NULL,"
	"  mtime_nsec INTEGER NOT NULL,"
	"  PRIMARY KEY (guid, idx));";

static int db_error(struct store *s, const char *what)
{
	log_msg(LOG_ERR, "database: %s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(s, "prepare");
	return 0;
}

int store_prepare_dir(const char *dir)
{
	struct stat st;
	int fd, err;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = errno;
		log_msg(LOG_ERR, "cannot create %s: %s", dir, strerror(err));
		return -err;
	}
	/* not a symlink: whoever could replace it would have the database */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_msg(LOG_ERR, "%s: %s", dir, err == ENOTDIR || err == ELOOP ?
			"not a directory (a symlink?)" : strerror(err));
		return -(err == ELOOP ? ENOTDIR : err);
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	if (st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "%s belongs to uid %u, not to kbitsd's (%u)", dir,
			(unsigned int)st.st_uid, (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & 077) {
		log_msg(LOG_WARNING, "%s had mode %04o: made 0700", dir,
			(unsigned int)(st.st_mode & 07777));
		if (fchmod(fd, st.st_mode & 0700) < 0) {
			err = errno;
			log_msg(LOG_ERR, "cannot chmod %s: %s", dir, strerror(err));
			close(fd);
			return -err;
		}
	}
	close(fd);
	return 0;
}

/* The database and its -wal and -shm files: 0600 even if made otherwise before. */
static void private_files(const char *db)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	struct stat st;
	char *path;
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if (asprintf(&path, "%s%s", db, suffix[i]) < 0)
			return;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
			log_msg(LOG_WARNING, "%s had mode %04o: made 0600", path,
				(unsigned int)(st.st_mode & 07777));
			if (chmod(path, 0600) < 0)
				log_msg(LOG_ERR, "cannot chmod %s: %s", path, strerror(errno));
		}
		free(path);
	}
}

int store_open(const char *dir, struct store **out)
{
	struct store *s;
	char *path;
	int err;

	*out = NULL;
	err = store_prepare_dir(dir);
	if (err)
		return err;
	if (asprintf(&path, "%s/queue.db", dir) < 0)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(path);
		return -ENOMEM;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_msg(LOG_ERR, "cannot open %s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		err = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	private_files(path);
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		err = db_error(s, path);
		goto fail;
	}
	/* a database of an earlier kbitsd: add the column (an error when it is there) */
	sqlite3_exec(s->db, "ALTER TABLE jobs ADD COLUMN last_progress INTEGER", NULL, NULL,
		     NULL);
	err = prepare(s, "INSERT INTO jobs (guid, owner, state, priority, display_name, "
		      "record, updated, last_progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
		      "ON CONFLICT (guid) DO UPDATE SET owner = excluded.owner, "
		      "state = excluded.state, priority = excluded.priority, "
		      "display_name = excluded.display_name, record = excluded.record, "
		      "updated = excluded.updated, "
		      "last_progress = COALESCE(excluded.last_progress, last_progress)",
		      &s->put_job);
	if (!err)
		err = prepare(s, "SELECT last_progress FROM jobs WHERE guid = ?",
			      &s->get_progress);
	if (!err)
		err = prepare(s, "DELETE FROM jobs WHERE guid = ?", &s->del_job);
	if (!err)
		err = prepare(s, "DELETE FROM files WHERE guid = ?", &s->del_files);
	if (!err)
		err = prepare(s, "INSERT INTO files (guid, idx, remote, local, bytes_total, "
			      "bytes_transferred, completed) VALUES (?, ?, ?, ?, ?, ?, ?)",
			      &s->put_file);
	if (!err)
		err = prepare(s, "SELECT owner FROM jobs WHERE guid = ?", &s->get_owner);
	if (!err)
		err = prepare(s, "SELECT local, remote, bytes_total, bytes_transferred, "
			      "completed FROM files WHERE guid = ? ORDER BY idx",
			      &s->get_files);
	if (!err)
		err = prepare(s, "SELECT guid, record FROM jobs ORDER BY updated",
			      &s->all_records);
	if (!err)
		err = prepare(s, "DELETE FROM validators WHERE guid = ?", &s->del_vals);
	if (!err)
		err = prepare(s, "INSERT OR REPLACE INTO validators (guid, idx, remote, kind, "
			      "etag, last_modified, total, mtime_sec, mtime_nsec) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &s->put_val);
	if (!err)
		err = prepare(s, "SELECT idx, remote, kind, etag, last_modified, total, "
			      "mtime_sec, mtime_nsec FROM validators WHERE guid = ?",
			      &s->get_vals);
	if (err)
		goto fail;
	free(path);
	*out = s;
	return 0;
fail:
	free(path);
	store_close(s);
	return err;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put_job);
	sqlite3_finalize(s->del_job);
	sqlite3_finalize(s->del_files);
	sqlite3_finalize(s->put_file);
	sqlite3_finalize(s->get_owner);
	sqlite3_finalize(s->get_progress);
	sqlite3_finalize(s->get_files);
	sqlite3_finalize(s->all_records);
	sqlite3_finalize(s->del_vals);
	sqlite3_finalize(s->put_val);
	sqlite3_finalize(s->get_vals);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		log_msg(LOG_WARNING, "database: cannot close: %s", sqlite3_errmsg(s->db));
	free(s);
}

/* Runs a prepared statement that returns no rows, and resets it. */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, what);
}

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	       db_error(s, sql);
}

/*
 * One change, all or nothing: its own transaction, or a savepoint within a
 * batch's transaction.
 */
static int tx_begin(struct store *s)
{
	return exec(s, s->batch ? "SAVEPOINT one" : "BEGIN IMMEDIATE");
}

static int tx_end(struct store *s, int err)
{
	if (s->batch) {
		if (err)
			exec(s, "ROLLBACK TO one");
		exec(s, "RELEASE one");
		return err;
	}
	if (!err)
		err = exec(s, "COMMIT");
	if (err)
		exec(s, "ROLLBACK");
	return err;
}

int store_batch_begin(struct store *s)
{
	int err = exec(s, "BEGIN IMMEDIATE");

	s->batch = !err;
	return err;
}

int store_batch_end(struct store *s)
{
	int err;

	if (!s->batch)
		return 0;
	s->batch = false;
	err = exec(s, "COMMIT");
	if (err)
		exec(s, "ROLLBACK");
	return err;
}

static int put_files(struct store *s, const char *guid, const struct store_job *job)
{
	size_t i;
	int err;

	sqlite3_bind_text(s->del_files, 1, guid, -1, SQLITE_TRANSIENT);
	err = step_done(s, s->del_files, "delete files");
	for (i = 0; i < job->nfiles && !err; i++) {
		const struct kbits_file *f = &job->files[i];
		sqlite3_stmt *st = s->put_file;

		sqlite3_bind_text(st, 1, guid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, f->remote_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, f->local_name, -1, SQLITE_STATIC);
		if (f->bytes_total == KBITS_SIZE_UNKNOWN)
			sqlite3_bind_null(st, 5);
		else
			sqlite3_bind_int64(st, 5, (sqlite3_int64)f->bytes_total);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)f->bytes_transferred);
		sqlite3_bind_int(st, 7, !!f->completed);
		err = step_done(s, st, "insert file");
	}
	return err;
}

int store_put(struct store *s, const struct store_job *job)
{
	char guid[KBITS_GUID_STRING_LEN];
	sqlite3_stmt *st = s->put_job;
	int err;

	kbits_guid_format(&job->id, guid);
	err = tx_begin(s);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, job->owner);
	sqlite3_bind_text(st, 3, kbits_job_state_name(job->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, job->priority);
	sqlite3_bind_text(st, 5, job->display_name ? job->display_name : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, job->record, (int)job->record_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	if (job->last_progress)
		sqlite3_bind_int64(st, 8, (sqlite3_int64)job->last_progress);
	else
		sqlite3_bind_null(st, 8);
	err = step_done(s, st, "store job");
	if (!err)
		err = put_files(s, guid, job);
	return tx_end(s, err);
}

int store_delete(struct store *s, const struct kbits_guid *id)
{
	char guid[KBITS_GUID_STRING_LEN];
	int err;

	kbits_guid_format(id, guid);
	err = tx_begin(s);
	if (err)
		return err;
	sqlite3_bind_text(s->del_files, 1, guid, -1, SQLITE_STATIC);
	err = step_done(s, s->del_files, "delete files");
	if (!err) {
		sqlite3_bind_text(s->del_vals, 1, guid, -1, SQLITE_STATIC);
		err = step_done(s, s->del_vals, "delete validators");
	}
	if (!err) {
		sqlite3_bind_text(s->del_job, 1, guid, -1, SQLITE_STATIC);
		err = step_done(s, s->del_job, "delete job");
	}
	return tx_end(s, err);
}

int store_for_each_record(struct store *s,
			  int (*fn)(void *ctx, const struct kbits_guid *id,
				    const void *rec, size_t len),
			  void *ctx)
{
	sqlite3_stmt *st = s->all_records;
	int rc, err = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		const void *rec = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		struct kbits_guid id;

		if (!text || kbits_guid_parse(text, &id) < 0) {
			log_msg(LOG_WARNING, "database: a job with a bad GUID '%s': ignored",
				text ? text : "");
			continue;
		}
		err = fn(ctx, &id, rec, len);
		if (err < 0)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_error(s, "read jobs");
	sqlite3_reset(st);
	return err;
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

int store_get_files(struct store *s, const struct kbits_guid *id, uid_t *owner,
		    struct store_file **files, size_t *n)
{
	char guid[KBITS_GUID_STRING_LEN];
	struct store_file *v = NULL, *nv;
	size_t count = 0;
	int rc, err = 0;

	*files = NULL;
	*n = 0;
	kbits_guid_format(id, guid);
	sqlite3_bind_text(s->get_owner, 1, guid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->get_owner);
	if (rc == SQLITE_ROW)
		*owner = (uid_t)sqlite3_column_int64(s->get_owner, 0);
	sqlite3_reset(s->get_owner);
	sqlite3_clear_bindings(s->get_owner);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "read job");

	sqlite3_bind_text(s->get_files, 1, guid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s->get_files)) == SQLITE_ROW) {
		struct store_file *f;

		nv = realloc(v, (count + 1) * sizeof(*v));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		v = nv;
		f = &v[count++];
		memset(f, 0, sizeof(*f));
		f->local = column_strdup(s->get_files, 0);
		f->remote = column_strdup(s->get_files, 1);
		if (!f->local || !f->remote) {
			err = -ENOMEM;
			break;
		}
		f->bytes_total = sqlite3_column_type(s->get_files, 2) == SQLITE_NULL ?
				 KBITS_SIZE_UNKNOWN :
				 (uint64_t)sqlite3_column_int64(s->get_files, 2);
		f->bytes_transferred = (uint64_t)sqlite3_column_int64(s->get_files, 3);
		f->completed = sqlite3_column_int(s->get_files, 4) != 0;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_error(s, "read files");
	sqlite3_reset(s->get_files);
	sqlite3_clear_bindings(s->get_files);
	if (err) {
		store_files_free(v, count);
		return err;
	}
	*files = v;
	*n = count;
	return 0;
}

void store_files_free(struct store_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].remote);
		free(files[i].local);
	}
	free(files);
}

int store_get_progress(struct store *s, const struct kbits_guid *id, time_t *when)
{
	char guid[KBITS_GUID_STRING_LEN];
	sqlite3_stmt *st = s->get_progress;
	int rc, err = -ENOENT;

	kbits_guid_format(id, guid);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*when = (time_t)sqlite3_column_int64(st, 0);
		err = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = db_error(s, "read job");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

int store_get_record(struct store *s, const struct kbits_guid *id, void **rec, size_t *len)
{
	char guid[KBITS_GUID_STRING_LEN];
	sqlite3_stmt *st;
	int rc, err;

	*rec = NULL;
	*len = 0;
	err = prepare(s, "SELECT record FROM jobs WHERE guid = ?1", &st);
	if (err)
		return err;
	kbits_guid_format(id, guid);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = -ENOENT;
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *b = sqlite3_column_blob(st, 0);

		*rec = malloc(n ? n : 1);
		err = *rec ? 0 : -ENOMEM;
		if (*rec && n && b)
			memcpy(*rec, b, n);
		*len = *rec && b ? n : 0;
	} else if (rc != SQLITE_DONE) {
		err = db_error(s, "read job");
	}
	sqlite3_finalize(st);
	return err;
}

int store_put_validator(struct store *s, const struct kbits_guid *id, uint32_t index,
			const char *remote, const struct file_validator *v)
{
	char guid[KBITS_GUID_STRING_LEN];
	sqlite3_stmt *st = s->put_val;
	int err;

	kbits_guid_format(id, guid);
	err = tx_begin(s);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, index);
	sqlite3_bind_text(st, 3, remote, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)v->kind);
	sqlite3_bind_text(st, 5, v->etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, v->last_modified, -1, SQLITE_STATIC);
	if (v->total == KBITS_SIZE_UNKNOWN)
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_int64(st, 7, (sqlite3_int64)v->total);
	sqlite3_bind_int64(st, 8, v->mtime_sec);
	sqlite3_bind_int64(st, 9, v->mtime_nsec);
	err = step_done(s, st, "store validators");
	return tx_end(s, err);
}

/* Column @col as a string into @out of @size: false when it does not fit. */
static bool column_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t len = t ? strlen((const char *)t) : 0;

	if (len >= size)
		return false;
	memcpy(out, t ? (const char *)t : "", len + 1);
	return true;
}

int store_get_validators(struct store *s, const struct kbits_guid *id,
			 const struct kbits_file *files, struct file_validator *v, size_t n)
{
	char guid[KBITS_GUID_STRING_LEN];
	sqlite3_stmt *st = s->get_vals;
	int rc;

	memset(v, 0, n * sizeof(*v));
	kbits_guid_format(id, guid);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 idx = sqlite3_column_int64(st, 0);
		const unsigned char *remote = sqlite3_column_text(st, 1);
		struct file_validator f;

		if (idx < 0 || (uint64_t)idx >= n || !remote ||
		    strcmp((const char *)remote, files[idx].remote_name))
			continue;	/* another file's: not this one's version */
		memset(&f, 0, sizeof(f));
		f.kind = (uint32_t)sqlite3_column_int(st, 2);
		f.total = sqlite3_column_type(st, 5) == SQLITE_NULL ? KBITS_SIZE_UNKNOWN :
			  (uint64_t)sqlite3_column_int64(st, 5);
		f.mtime_sec = sqlite3_column_int64(st, 6);
		f.mtime_nsec = (uint32_t)sqlite3_column_int64(st, 7);
		if (!column_copy(st, 3, f.etag, sizeof(f.etag)) ||
		    !column_copy(st, 4, f.last_modified, sizeof(f.last_modified)) ||
		    !validator_ok(&f))
			continue;
		v[idx] = f;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, "read validators");
}
