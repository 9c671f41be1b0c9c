/* ptyfloor [-S] LOG COMMAND [ARG...]: COMMAND on a pseudo-terminal of its own, every byte it
 * prints copied to LOG, its exit status returned. The least a runner that gives each task a
 * terminal (tqdm bars, colours) must do, in C and with nothing recorded: the floor that
 * bench_batch.py, bench_logpath.py and run.py's figures 3 and 4 time next to ours.
 * The terminal is set up as the supervisor sets up a task's (runner/daemon/supervisor.py): no
 * output processing (a log holds the bytes the task wrote), no echo, the task leading a new
 * session whose controlling terminal it is. -S: the task stays in this process's session
 * (no controlling terminal), as bench_logpath.py's bare Python relays run it.
 * Built by the benchmarks (`cc -O2 -o ptyfloor ptyfloor.c -lutil`); not part of pyruns-tui. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int same_session = argc > 1 && strcmp(argv[1], "-S") == 0;
    argv += same_session;
    argc -= same_session;
    if (argc < 3) {
        fprintf(stderr, "usage: ptyfloor [-S] LOG COMMAND [ARG...]\n");
        return 2;
    }
    int log = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int master, slave;
    struct termios attrs;
    if (log < 0 || openpty(&master, &slave, NULL, NULL, NULL) < 0 || tcgetattr(slave, &attrs) < 0) {
        perror(argv[1]);
        return 2;
    }
    attrs.c_oflag &= ~(OPOST | ONLCR);
    attrs.c_lflag &= ~ECHO;
    tcsetattr(slave, TCSANOW, &attrs);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        close(master);
        if (!same_session && (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0))
            _exit(126);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2)
            close(slave);
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    close(slave);
    static char buf[65536];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) /* EIO once the task and everything holding its terminal closed it */
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(log, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR) {
                perror(argv[1]);
                return 2;
            }
            off += w > 0 ? w : 0;
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("waitpid");
            return 2;
        }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
