/* natterd — the natter service: listens on TCP, runs one handler per
 * connection (natter-session by default) and the broker they share.
 *
 * Contract:
 *   natterd [options] [-- program [arg ...]]   (see natterd(8))
 *   Each handler gets the connection on fds 0 and 1, natterd's log on
 *   fd 2, and the environment described in child.h.
 *   Daemon by default (syslog, pid file); -f stays in the foreground
 *   and logs to stderr.  natterd -B runs the broker alone (it execs
 *   natter-broker).
 * Processes: natterd itself (one thread, one poll loop: server.h), its
 *   launchers (launchers.h), which start the handlers, and the broker,
 *   natter-broker(8) exec'd and restarted (brokerproc.h).
 * Exit status: 0 after SIGTERM or SIGINT; 100 for a usage or
 * configuration error; 111 for a temporary one (port in use, pid file
 * locked, out of resources).  Start-up errors are one line on stderr. */
#include "abspath.h"
#include "banwatch.h"
#include "brokerproc.h"
#include "child.h"
#include "config.h"
#include "daemon.h"
#include "dgram.h"
#include "fatal.h"
#include "handler.h"
#include "io.h"
#include "limits.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "pidfile.h"
#include "privs.h"
#include "rulefile.h"
#include "proctitle.h"
#include "selfpipe.h"
#include "server.h"
#include "sdlisten.h"
#include "sessions.h"
#include "launchers.h"
#include "../broker/store/store.h"
#include "notify.h"
#include "proxywait.h"
#include "resolve.h"
#include "upgrade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static struct listeners listeners;
static char broker_socket[PATH_MAX];

/* fds 0, 1 and 2 open (on /dev/null if closed), so no socket is ever
 * given one of their numbers by accident. */
static void std_fds_open(void)
{
	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int fd = open("/dev/null", O_RDWR);
		if (fd != i)
			exit(EXIT_TEMP); /* cannot even report it */
	}
}

/* Descriptors inherited from whoever started natterd are not the
 * handlers' business: mark them close-on-exec. */
static void stray_fds_cloexec(void)
{
	DIR *d = opendir("/dev/fd");
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (fd > 2 && fd != dirfd(d) && io_set_cloexec(fd) != 0)
			fatal_errno(EXIT_TEMP, "fcntl %d", fd);
	}
	closedir(d);
}

/* The broker socket's path, absolute (the daemon works from /), and
 * short enough for sun_path. */
static void broker_socket_path(const char *opt)
{
	char def[PATH_MAX];
	if (!opt) {
		if (broker_default_path(def, sizeof def) != 0)
			fatal(EXIT_USAGE, "broker socket path too long");
		opt = def;
	}
	if (abspath_make(broker_socket, sizeof broker_socket, opt) != 0)
		fatal_errno(errno == ENAMETOOLONG ? EXIT_USAGE : EXIT_TEMP,
			    "broker socket %s", opt);
	if (strlen(broker_socket) >= SUN_PATH_MAX)
		fatal(EXIT_USAGE, "broker socket path too long (at most %zu "
		      "bytes): %s", SUN_PATH_MAX - 1, broker_socket);
}

/* *path made absolute in buf, for a file natterd or the broker opens
 * after the daemon's chdir (the pid file, the transcript). */
static void absolute_option(const char **path, char *buf, size_t size,
			    const char *what)
{
	if (!*path)
		return;
	if (abspath_make(buf, size, *path) != 0)
		fatal_errno(errno == ENAMETOOLONG ? EXIT_USAGE : EXIT_TEMP,
			    "%s %s", what, *path);
	*path = buf;
}

/* A file the handlers read: readable now, and named absolutely. */
static void handler_file(const char *opt, const char *what, const char *env)
{
	char abs[PATH_MAX];
	int fd = open(opt, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal_errno(EXIT_USAGE, "cannot read %s %s", what, opt);
	close(fd);
	if (!realpath(opt, abs))
		fatal_errno(EXIT_USAGE, "cannot read %s %s", what, opt);
	if (setenv(env, abs, 1) != 0)
		fatal_errno(EXIT_TEMP, "setenv");
}

/* What every handler's environment shares. */
static void handler_env(const struct config *cfg)
{
	static const char *const unset[] = {
		"TCPREMOTEHOST", "TCPREMOTEINFO", "TCPLOCALHOST", NULL
	};
	for (int i = 0; unset[i]; i++)
		unsetenv(unset[i]);
	if (setenv("PROTO", "TCP", 1) != 0 ||
	    setenv(BROKER_ENV, broker_socket, 1) != 0 ||
	    setenv("NATTER_LOG", cfg->foreground ? "stderr" : "syslog", 1) != 0)
		fatal_errno(EXIT_TEMP, "setenv");
	if (cfg->users_file)
		handler_file(cfg->users_file, "users file", "NATTER_USERS");
	if (cfg->motd_file)
		handler_file(cfg->motd_file, "MOTD file", "NATTER_MOTD");
	char lines[16];
	snprintf(lines, sizeof lines, "%d", cfg->history_lines);
	if (cfg->history_lines >= 0 && setenv("NATTER_HISTORY", lines, 1) != 0)
		fatal_errno(EXIT_TEMP, "setenv");
}

/* -D, or the default (store.h), absolute: the broker's state
 * directory. */
static const char *state_dir(const struct config *cfg, char *buf,
			     size_t size)
{
	const char *dir = cfg->state_dir;
	char def[PATH_MAX];
	if (!dir) {
		if (store_default_dir(def, sizeof def) != 0)
			fatal(EXIT_USAGE, "no default state directory (no "
			      "HOME): give -D");
		dir = def;
	}
	absolute_option(&dir, buf, size, "state directory");
	return dir;
}

/* Under -u, the state directory is the user's: made 0700 for it when
 * missing (an existing one is left as it is: the broker says in its
 * log if it cannot write there). */
static void state_dir_for(const char *dir, const struct user_ids *u)
{
	if (mkdir(dir, 0700) == 0) {
		if (chown(dir, u->uid, u->gid) != 0)
			fatal_errno(EXIT_TEMP, "cannot give %s to %s", dir,
				    u->name);
	} else if (errno != EEXIST && errno != ENOENT) {
		log_msg(LOG_WARNING, "state directory %s: %s", dir,
			strerror(errno));
	}
}

/* The self-pipe for the signals natterd handles, which are unblocked in
 * case whoever started natterd left them blocked; SIGPIPE ignored (a
 * refusal line written to a closed socket must not kill natterd). */
static int signals_init(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (const int *s = natterd_signals; *s; s++)
		sigaddset(&set, *s);
	for (const int *s = natterd_ignored; *s; s++)
		if (signal(*s, SIG_IGN) == SIG_ERR)
			fatal_errno(EXIT_TEMP, "signals");
	/* handlers first: a signal left pending across an upgrade's exec
	 * is taken by them, not by the default action */
	int fd = selfpipe_init(natterd_signals);
	if (fd < 0)
		fatal_errno(EXIT_TEMP, "signal pipe");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) != 0)
		fatal_errno(EXIT_TEMP, "signals");
	return fd;
}

/* In a new launcher: what natterd holds that a launcher must not (its
 * own signal pipe it closes itself, launcher.h). */
static void close_for_launcher(void)
{
	listeners_close(&listeners);
	dgram_forget();
	proxywait_forget();
	pidfile_forget();
	daemon_forget();
	brokerproc_forget();
}

/* The broker listening, or natterd gone with its status: a broker that
 * cannot start at once will not mend by being restarted (its reason is
 * logged just before). */
static void start_broker(const struct brokerproc_params *bp, int foreground,
			 int sigfd)
{
	brokerproc_init(bp);
	int status = brokerproc_first(io_now_ms(), sigfd, !foreground);
	if (status != 0)
		fatal(status, "the broker could not start on %s",
		      bp->socket_path);
}

/* natterd -B: natter-broker in natterd's place, logging as natterd. */
_Noreturn static void broker_alone(const struct config *cfg,
				   const char *prog, const char *state)
{
	const char *argv[24]; /* every option below, + NULL */
	int n = 0;
	argv[n++] = "natter-broker";
	argv[n++] = "-n";
	argv[n++] = "natterd";
	if (cfg->pidfile) {
		argv[n++] = "-P";
		argv[n++] = cfg->pidfile;
	}
	if (cfg->transcript) {
		argv[n++] = "-L";
		argv[n++] = cfg->transcript;
	}
	if (cfg->no_history)
		argv[n++] = "-N";
	if (cfg->file_max) {
		argv[n++] = "-F";
		argv[n++] = cfg->file_max;
	}
	if (cfg->offer_open) {
		argv[n++] = "-O";
		argv[n++] = cfg->offer_open;
	}
	argv[n++] = "-s";
	argv[n++] = state;
	if (cfg->redis) {
		argv[n++] = "-R";
		argv[n++] = cfg->redis;
	}
	argv[n++] = "--";
	argv[n++] = broker_socket;
	argv[n] = NULL;
	execv(prog, (char *const *)argv);
	fatal_errno(EXIT_TEMP, "cannot run %s", prog);
}

/* Root's work before serving: the pid file, the broker's directory,
 * then no more root. */
static void become_service(const struct config *cfg, const char *pidfile,
			   const struct user_ids *u, const char *handler,
			   const char *state)
{
	if (pidfile)
		pidfile_take(pidfile);
	if (cfg->user && !upgrade_resuming()) { /* an upgrade: done before */
		state_dir_for(state, u);
		privs_prepare_dir(broker_socket, u);
		privs_check_dir(broker_socket, u);
		privs_drop(u);
	}
	handler_check(handler);
	handler_env(cfg);
}

/* The broker's own descriptors (listener, loop, pipes, lock, room logs)
 * beside one per session. */
#define BROKER_FDS_SPARE 64

/* The broker holds a descriptor per session and raises its soft limit
 * to the hard one (natter-broker(8)); natterd's own are few, so it
 * leaves its limit, and its handlers', alone.  A hard limit too low
 * for -c is said once at start rather than found at the limit. */
static void nofile_check(unsigned max_sessions)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_max == RLIM_INFINITY ||
	    rl.rlim_max >= (rlim_t)max_sessions + BROKER_FDS_SPARE)
		return;
	log_msg(LOG_WARNING, "descriptor limit %llu (hard) is below -c %u "
		"plus %d: the broker cannot take sessions past about %llu "
		"(raise the hard limit: ulimit -Hn, LimitNOFILE=)",
		(unsigned long long)rl.rlim_max, max_sessions,
		BROKER_FDS_SPARE, rl.rlim_max > BROKER_FDS_SPARE ?
		(unsigned long long)(rl.rlim_max - BROKER_FDS_SPARE) : 0ULL);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct user_ids user;
	char handler[PATH_MAX], broker[PATH_MAX], pidbuf[PATH_MAX];
	char transcript[PATH_MAX], statebuf[PATH_MAX], rulesbuf[PATH_MAX];
	const char *pidfile;
	static char *default_argv[] = { "natter-session", NULL };

	proctitle_init(argc, argv);
	upgrade_check_answer(argc, argv);
	std_fds_open();
	config_parse(&cfg, argc, argv);
	if (cfg.resolve_names)
		resolve_enable(); /* in the launchers, forked later */
	log_init("natterd", cfg.foreground || !upgrade_env() ?
		 LOG_TO_STDERR : LOG_TO_SYSLOG);
	upgrade_init(argc, argv);
	broker_socket_path(cfg.broker_socket);
	absolute_option(&cfg.transcript, transcript, sizeof transcript,
			"transcript");
	absolute_option(&cfg.pidfile, pidbuf, sizeof pidbuf, "pid file");
	absolute_option(&cfg.rules_file, rulesbuf, sizeof rulesbuf,
			"rules file");
	const char *state = state_dir(&cfg, statebuf, sizeof statebuf);
	handler_helper(broker, sizeof broker, "natter-broker", argv[0]);
	if (cfg.broker_only)
		broker_alone(&cfg, broker, state);

	handler_resolve(handler, sizeof handler, cfg.handler_argv, argv[0]);
	rulefile_init(cfg.rules_file); /* a bad file: exit 100 */
	if (cfg.user)
		privs_lookup(cfg.user, &user);
	pidfile = cfg.pidfile;
	if (!pidfile && !cfg.foreground) {
		pidfile_default(pidbuf, sizeof pidbuf);
		pidfile = pidbuf;
	}
	notify_init();
	int adopted = upgrade_resuming() ? 0 : sdlisten_adopt(&listeners);
	stray_fds_cloexec();
	if (limits_init(&cfg) != 0 || sessions_init(cfg.max_sessions) != 0)
		fatal(EXIT_TEMP, "out of memory");
	if (upgrade_resuming()) {
		if (upgrade_resume_listeners(&listeners) != 0)
			upgrade_rollback();
	} else if (adopted)
		log_msg(LOG_INFO, "socket activation: %d listeners passed, "
			"-l not used", adopted);
	else
		listeners_open(&listeners, cfg.listen, cfg.nlisten);
	dgram_open(cfg.dgram, cfg.ndgram, cfg.handler_argv, argv[0]);
	if (!cfg.foreground && !upgrade_resuming())
		daemon_detach();
	/* The default handler's argv[0] is its path: room for the title
	 * it shows in ps once its person is in ("natter-session: ann from
	 * 192.0.2.7"). */
	default_argv[0] = handler;
	char *const *hargv = cfg.handler_argv ? cfg.handler_argv : default_argv;
	become_service(&cfg, pidfile, &user, handler, state);
	handler_check(broker);

	int sigfd = signals_init();
	banwatch_init(state); /* natterd reads the bans the broker writes */
	struct brokerproc_params bp = { broker, broker_socket, cfg.transcript,
					state, cfg.redis, cfg.no_history,
					cfg.file_max, cfg.offer_open };
	if (upgrade_resuming()) {
		brokerproc_init(&bp);
		upgrade_resume_broker(io_now_ms());
	} else {
		start_broker(&bp, cfg.foreground, sigfd);
	}
	if (!cfg.foreground && !upgrade_resuming()) {
		if (daemon_ready() != 0)
			fatal_errno(EXIT_TEMP, "detaching");
		log_init("natterd", LOG_TO_SYSLOG);
	}
	nofile_check(cfg.max_sessions);
	log_msg(LOG_INFO, "handler %s", handler);

	struct server_params sp = { &listeners, handler, hargv,
		cfg.grace_seconds, close_for_launcher, upgrade_resuming() };
	int status = server_run(&sp, sigfd);
	brokerproc_cleanup();
	pidfile_release();
	log_msg(LOG_NOTICE, "stopped");
	return status;
}
