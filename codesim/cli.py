"""The ``codesim`` command: parse options, call the library, print. No logic of its own.

Every failure a user can cause reaches them as one line on stderr (``Error: ...``) and a non-zero exit:
2 for a misused command line, 1 for anything else (click's conventions); never a traceback.
"""

from __future__ import annotations

import errno
import functools
import math
import os
import sys

import click

from .simulation import bench as benchmarks
from .files import coding, streamio
from .simulation import experiments
from .present import page, plots, report
from .files.inspection import MAX_TRACE_SYMBOLS, inspect_file
from .coders import SchemeSpec, registry
from .errors import ArgumentError, CodesimError, StandardOutputError, counted
from .scenario import Scenario, for_command, from_options, load
from .sources.files import UNITS
from .simulation.parallel import check_jobs
from .present.progress import Progress, running
from .simulation.simulate import BLOCK


class Command(click.Command):
    """A command that reports a value the library refuses as given by the caller
    (:class:`~codesim.errors.ArgumentError`) as a misused command line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ArgumentError as exc:
            raise click.UsageError(str(exc), ctx) from None

    def parse_args(self, ctx, args):
        if any("--q" in param.opts for param in self.params):
            # A file of that name is the SCENARIO it names, unless the data are given as options too.
            data = any(arg.split("=")[0] in ("--p", "--source-file") for arg in args)
            for flag, value in zip(args, args[1:]):
                if flag == "-q" and _is_vector(value) and (data or not os.path.exists(value)):
                    quiet = " (-q is --quiet)" if any("-q" in param.opts for param in self.params) else ""
                    raise click.UsageError(f"a model's probabilities are given as --q, spelled out: --q {value}"
                                           f"{quiet}", ctx)
        return super().parse_args(ctx, args)


class OneLineErrors(click.Group):
    """A click group whose errors, usage errors included, are one line on stderr."""

    command_class = Command

    def main(self, args=None, *rest, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(args, *rest, **kwargs)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _error(f"{exc.format_message()}{hint}")
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _error(exc.format_message())
            sys.exit(exc.exit_code)
        except CodesimError as exc:
            if isinstance(exc, StandardOutputError):
                _abandon_stdout()
            _error(str(exc))
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # The reader of standard output stopped reading (`| head`): nothing is wrong with the input and
            # nothing more can be shown, so end quietly.
            _abandon_stdout()
            sys.exit(1)
        except OSError as exc:
            if exc.filename is not None or exc.errno not in _FULL:
                raise
            # Only writes to standard output (the results, `-o -`) reach here unnamed: every file codesim
            # reads or writes is opened by streamio, which names it.
            _abandon_stdout()
            click.echo(f"Error: standard output: cannot write ({exc.strerror})", err=True)
            sys.exit(1)
        except MemoryError:  # the last resort: every size is checked first, but memory can still run out
            words = list(sys.argv[1:] if args is None else args)
            doing = f" in 'codesim {words[0]}'" if words and words[0] in self.commands else ""
            click.echo(f"Error: out of memory{doing}: every size was within its limit, but this machine "
                       "has less memory free than the work needs", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


#: What str.splitlines() breaks a line at, each shown escaped in an error message: a file name, a label or a
#: key may hold one, and the message is one line whatever it quotes.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"})


def _error(message: str) -> None:
    click.echo(f"Error: {message.translate(_LINE_BREAKS)}", err=True)


#: Errors of a write to a device or file that has no room (a full disk, a quota, a file-size limit) or failed.
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _abandon_stdout() -> None:
    """Point standard output at /dev/null, so that Python's own flush at exit does not fail again on
    what could not be written."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # a standard output without a descriptor (tests capture it in memory) has no flush to fear


class Count(click.ParamType):
    """A whole number of symbols, also written 1e6 or 1_000_000."""

    name = "N"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            number = float(str(value).replace("_", ""))
        except ValueError:
            self.fail(f"{value!r} is not a number", param, ctx)
        if number != number or number in (float("inf"), float("-inf")) or number != int(number):
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if number < 1:
            self.fail(f"{value!r} must be at least 1", param, ctx)
        return int(number)


class Jobs(Count):
    """A number of processes, within the library's limit."""

    def convert(self, value, param, ctx):
        try:
            return check_jobs(super().convert(value, param, ctx))
        except CodesimError as exc:
            self.fail(str(exc), param, ctx)


class Scheme(click.ParamType):
    """A scheme name with optional parameters (huffman, block-huffman:k=3), or (``groups``) a group's
    name (prefix)."""

    name = "SCHEME"

    def __init__(self, groups: bool = True):
        self.groups = groups

    def convert(self, value, param, ctx):
        if isinstance(value, SchemeSpec):
            return value
        try:
            chosen = registry.choice(value)
        except CodesimError as exc:
            self.fail(str(exc), param, ctx)
        if isinstance(chosen, str) and not self.groups:
            self.fail(f"{chosen!r} is a group of schemes; this command takes one scheme", param, ctx)
        return chosen


class InputFile(click.Path):
    """A file argument, passed on as given: codesim's reader names every problem with it (what kind of
    file it is, a NUL byte, a name too long), where click's own check would stat it first."""

    def __init__(self):
        super().__init__(path_type=str)

    def convert(self, value, param, ctx):
        return value


class Vector(click.ParamType):
    """Comma-separated values: numbers (probabilities) or, with labels=True, labels."""

    name = "V1,V2,..."

    def __init__(self, labels: bool = False):
        self.labels = labels

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        items = [v.strip() for v in value.split(",")]
        if self.labels:
            return [_label(v) for v in items]
        try:
            numbers = [float(v) for v in items]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of numbers", param, ctx)
        if not all(math.isfinite(v) for v in numbers):
            self.fail(f"{value!r} holds a number that is not finite", param, ctx)
        return numbers


class Lengths(Vector):
    """Stream lengths: whole numbers >= 1, at most the library's number of them; sorted, each once."""

    def convert(self, value, param, ctx):
        numbers = super().convert(value, param, ctx)
        if len(numbers) > experiments.MAX_LENGTHS:
            self.fail(f"{len(numbers)} lengths, over the limit of {experiments.MAX_LENGTHS}", param, ctx)
        bad = next((v for v in numbers if v != int(v) or v < 1), None)
        if bad is not None:
            self.fail(f"lengths are whole numbers >= 1, got {bad:g}", param, ctx)
        return sorted({int(v) for v in numbers})


def _is_vector(text: str) -> bool:
    """Whether ``text`` reads as comma-separated numbers (``0.3,0.7``; ``nan``, which --q then refuses)."""
    try:
        [float(v) for v in text.split(",")]
    except ValueError:
        return False
    return True


def _label(text: str):
    """A label as written: a number where the text is that number as Python writes it (``100``, ``0.5``),
    so that it matches a numeric alphabet's symbol files; any other text as it is (``007``, ``1_000``,
    ``1e3``, ``nan``), which a conversion would change or refuse."""
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if math.isfinite(number) and repr(number) == text:
            return number
    return text


def scenario_input(f):
    """SCENARIO, or the data as options instead (``--p``/``--q``/``--labels``, or ``--source-file``/
    ``--unit``/``--model-file``; :func:`~codesim.scenario.from_options`), one or the other. The command
    takes ``scenario``: a function that reads the scenario, called once the outputs are checked."""

    @click.argument("scenario", required=False, type=InputFile())
    @click.option("--p", "p", type=Vector(), help="Source probabilities p, instead of a SCENARIO file.")
    @click.option("--q", "qs", type=Vector(), multiple=True,
                  help="A model's probabilities q (with --p); repeatable (one model is q, several q1, q2, ...).")
    @click.option("--labels", type=Vector(labels=True), help="Alphabet labels for --p/--q (default 0, 1, ...).")
    @click.option("--source-file", type=InputFile(), metavar="FILE",
                  help="A file as the source, instead of a SCENARIO file: its units are the message, coded "
                       "once (a scenario's [source] file = ...).")
    @click.option("--unit", type=click.Choice(UNITS),
                  help="How --source-file and --model-file are read: byte (the default), char or word (UTF-8).")
    @click.option("--model-file", "model_files", type=InputFile(), metavar="FILE", multiple=True,
                  help="A model counted from this file's units, named by the file (a scenario's "
                       "[models.NAME] file = ...); repeatable.")
    @functools.wraps(f)
    def command(*args, scenario, p, qs, labels, source_file, unit, model_files, **kwargs):
        given = [option for option, value in (("--p", p), ("--q", qs), ("--labels", labels),
                                              ("--source-file", source_file), ("--unit", unit),
                                              ("--model-file", model_files)) if value]
        if scenario is not None and given:
            raise click.UsageError(f"give a SCENARIO file or its data as options, not both: {scenario} with "
                                   f"{given[0]}")
        if scenario is None and not given:
            raise click.UsageError("give a SCENARIO file, or the data: --p with --q, or --source-file with "
                                   "--model-file")
        read = (functools.partial(load, scenario) if scenario is not None else
                functools.partial(from_options, p, qs, labels, source_file, unit, model_files))
        return f(*args, scenario=read, **kwargs)

    return command


def _scenario(read, models: tuple[str, ...], length, trials, seed, schemes, block=None) -> Scenario:
    """The scenario (``read()``, see :func:`scenario_input`) with the command line's settings; a remark on
    stderr for each scheme left out."""
    sc, remarks = for_command(read(), models, schemes, length=length, trials=trials, seed=seed, block=block)
    for remark in remarks:
        click.echo(remark, err=True)
    return sc


def _simulate(sc: Scenario, jobs: int, quiet: bool):
    r = sc.run
    what = running(click.get_current_context().info_name, [s.label for s in r.schemes], list(sc.models))
    with Progress(r.length * r.trials, enabled=False if quiet else None, what=what) as advance:
        return sc.measure(jobs, advance)


def _require_verified(records) -> None:
    """Fail the command, after its output, if any stream did not decode back to the original."""
    if not all(r.verified for r in records):
        raise click.ClickException("a decoded stream differed from the original (see 'verified')")


RUN_OPTIONS = [
    click.option("--length", "-n", type=Count(), help="Symbols per message stream (e.g. 100000 or 1e6)."),
    click.option("--trials", type=Count(), help="Independent streams per (model, scheme)."),
    click.option("--seed", type=click.IntRange(min=0), help="Seed for the streams (recorded in the output)."),
    click.option("--scheme", "schemes", type=Scheme(), multiple=True,
                 help=f"Scheme to run, with parameters as name:k=v,...; or a group: {', '.join(registry.groups())} "
                      f"(default: {', '.join(registry.groups()[registry.DEFAULT])}, what runs when the "
                      "scenario names none). Repeatable. A scheme of a group that cannot serve the alphabet "
                      "or a model is skipped with a line on stderr."),
    click.option("--model", "models", multiple=True, help="Only this model from the scenario; repeatable."),
    click.option("--jobs", "-j", type=Jobs(), default=1, show_default=True,
                 help="Run trials in this many processes (same results as one)."),
    click.option("--block", type=Count(),
                 help="Symbols per coded block: streams are drawn and coded block by block, each block one "
                      f"message (default: the scenario's [run] block, else {BLOCK})."),
    click.option("--quiet", "-q", is_flag=True, help="No progress line on stderr."),
]


PLOT = click.option("--plot", "plot_path", metavar="FILE",
                    help="Also draw the results to this .png or .svg file (needs matplotlib: "
                         "pip install 'codesim[plot]').")


class Format(click.Choice):
    """One of report.FORMATS; ``text`` is another name for ``table``."""

    def __init__(self):
        super().__init__(report.FORMATS)

    def convert(self, value, param, ctx):
        return super().convert("table" if value == "text" else value, param, ctx)


class Printer:
    """Where a command's output goes: standard output, or the -o file, written whole or not at all.
    The file is checked when the command starts, before any work is done."""

    def __init__(self, fmt: str, path: str | None, force: bool):
        self.fmt, self.path, self.force = fmt, path, force
        streamio.check_target("-" if path is None else path, force)

    def __call__(self, text: str) -> None:
        if self.path is None:
            click.echo(text)
        else:
            streamio.write_output(self.path, (text + "\n").encode("utf-8"), self.force)


def output_options(f):
    """``--format``, ``-o/--output`` and ``--force`` for a command that prints a table: the command
    takes ``out``, a :class:`Printer` (its ``fmt`` and ``force`` too)."""

    @click.option("--format", "fmt", type=Format(), default="table", show_default=True,
                  help="Output format (the same fields in each; see the README, \"Command line\").")
    @click.option("-o", "--output", metavar="FILE", help="Write the output to FILE instead of standard output "
                                                        "('-' for standard output).")
    @click.option("--force", is_flag=True, help="Overwrite an existing output file (-o, --plot).")
    @functools.wraps(f)
    def command(*args, fmt, output, force, **kwargs):
        return f(*args, out=Printer(fmt, None if output == "-" else output, force), **kwargs)

    return command


def run_options(f):
    for option in reversed(RUN_OPTIONS):
        f = option(f)
    return f


def _plot_results(path: str | None, force: bool, sc: Scenario, measurements) -> None:
    if path:
        click.echo(f"figures: {', '.join(plots.save_run(path, force, sc, measurements))}", err=True)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="codesim")
def main():
    """codesim: build codes from an assumed distribution q, run them on streams from the true p, and
    see D(p||q) as measured extra bits per symbol.

    \b
    Example:
        codesim run scenarios/nasa-temperature.toml
    """


@main.command()
@scenario_input
@run_options
@output_options
@PLOT
def run(scenario, length, trials, seed, schemes, models, jobs, block, quiet, out, plot_path):
    """Sample streams from the scenario's source p, code them with each scheme built from each model
    q, decode and check them, and print measured bits per symbol beside the theory.

    SCENARIO is a TOML file (see the README, "Scenario files"):

    \b
        title = "NASA planet temperatures"
        alphabet = [100, 105, 110, 145, 160, 162, 174, 180]
        [source]                     # the true distribution p
        probs = [0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]
        [models.uniform]             # an assumed q; also probs, counts, dirichlet
        uniform = true
        [run]
        length = 100000
        trials = 5
        seed = 1948
        schemes = ["fixed", "huffman", "arithmetic"]

    Options given here override the file's [run] table. Instead of a file, the data can be given
    as options: --p with one --q per model (and --labels), or --source-file with one --model-file per
    model (and --unit); a SCENARIO file with them is an error.

    \b
    Examples:
        codesim run scenarios/nasa-temperature.toml --model uniform -n 1e6 --format json
        codesim run --p 0.5,0.25,0.25 --q 0.25,0.25,0.5 --scheme huffman --scheme arithmetic
        codesim run --source-file README.md --unit char --model-file codesim/cli.py
    """
    plots.check_targets(plot_path, out.force, figures=len(plots.RUN_FIGURES))
    sc = _scenario(scenario, models, length, trials, seed, schemes, block)
    measurements = _simulate(sc, jobs, quiet)
    out(report.render(out.fmt, report.header(sc), measurements, title=sc.title))
    _plot_results(plot_path, out.force, sc, measurements)
    _require_verified(measurements)


@main.command()
@scenario_input
@run_options
@output_options
@PLOT
def compare(scenario, length, trials, seed, schemes, models, jobs, block, quiet, out, plot_path):
    """Run schemes on the same sampled streams and rank them by measured bits per symbol.

    Every scheme selected with --scheme (default: the default set, not the file's list) codes the same streams;
    for each model the table ranks them, with the excess over H(p), D(p||q), the code's own loss
    beyond D(p||q), and encode/decode throughput. Give a SCENARIO file, or the data as options
    (--p/--q/--labels or --source-file/--unit/--model-file, as for `codesim run`).

    \b
    Examples:
        codesim compare scenarios/nasa-temperature.toml --model uniform
        codesim compare --p 1,0 --q 0.3,0.7 --labels dog,panda -n 1e5
    """
    plots.check_targets(plot_path, out.force, figures=len(plots.RUN_FIGURES))
    sc = _scenario(scenario, models, length, trials, seed, schemes or (registry.DEFAULT,), block)
    measurements = _simulate(sc, jobs, quiet)
    out(report.render_compare(out.fmt, report.header(sc), measurements, title=sc.title))
    _plot_results(plot_path, out.force, sc, measurements)
    _require_verified(measurements)


@main.command()
@output_options
def schemes(out):
    """List the registered coding schemes with their parameters.

    Parameters are given as NAME:param=value,... on the command line, or as a table in a scenario's
    schemes list, e.g. {name = "rans", lanes = 64}.

    \b
    Example:
        codesim schemes
    """
    out(report.schemes_listing(registry.available(), out.fmt))


class BenchLength(Count):
    """A bench stream's length, within the bench's limit."""

    def convert(self, value, param, ctx):
        try:
            n = super().convert(value, param, ctx)
            benchmarks.check_bench_length(n, "--length")
        except CodesimError as exc:
            self.fail(str(exc), param, ctx)
        return n


#: ``bench --pipeline``: the schemes it times by default (a prefix code and the two stream coders), and
#: the code of the numpy+bitarray pipeline they are compared with.
PIPELINE_SCHEMES = ("huffman", "arithmetic", "rans")
PIPELINE_PEER_CODE = "huffman"


@main.command()
@click.option("--length", "-n", "lengths", type=BenchLength(), multiple=True,
              help="Stream length; repeatable (default 1e6; with --sweep 1e3 to 1e8, with --pipeline 3e7).")
@click.option("--sweep", is_flag=True,
              help="Show throughput against length: every power of ten from 1e3 to 1e8 (or the -n lengths), "
                   "each scheme up to the lengths it codes within half a minute.")
@click.option("--pipeline", is_flag=True,
              help="Time codesim run's work (draw, encode, decode, compare) end to end against numpy's "
                   "Generator.choice with bitarray's Huffman encode and decode (default schemes: "
                   f"{', '.join(PIPELINE_SCHEMES)}).")
@click.option("--scheme", "schemes", type=Scheme(), multiple=True,
              help="Scheme or group of schemes to time; repeatable (default: all, every registered scheme).")
@click.option("--source", "sources", type=click.Choice(list(benchmarks.SOURCES)), multiple=True,
              default=benchmarks.DEFAULT_SOURCES,
              help="Source; repeatable (default: nasa and zipf256; nasa-chain, the NASA levels with "
                   "persistence, times the context codes built from the chain; weather, a two-symbol chain, "
                   "the binary coders such as ctw).")
@click.option("--repeats", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Timings per measurement; the best is kept.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@output_options
@click.option("--peers/--no-peers", default=True, show_default=True,
              help="Also time bitarray's Huffman coder on the prefix codes, and constriction's ANS and "
                   "range coders beside rans and arithmetic where it is installed (pip install 'codesim[bench]').")
@PLOT
def bench(lengths, sweep, pipeline, schemes, sources, repeats, seed, out, peers, plot_path):
    """Measure encode and decode throughput (symbols per second) and bits per symbol against the
    stream's ideal length, for each scheme on the NASA source and a 256-symbol Zipf-like source,
    with each code built from the source itself; with peers, other libraries doing the same job on
    the same stream follow each scheme, with our throughput divided by theirs.

    With --sweep, a table of throughput against length shows where each coder reaches its speed, and
    --plot draws it. With --pipeline, the whole work of a run (draw, encode, decode, compare) is timed
    against a numpy+bitarray pipeline doing the same.

    \b
    Examples:
        codesim bench -n 1e6 --scheme huffman --scheme rans
        codesim bench --sweep -n 1e3 -n 1e4 -n 1e5 -n 1e6 --scheme huffman --scheme stream --plot bench.png
        codesim bench --pipeline -n 1e6
    """
    if sweep and pipeline:
        raise click.UsageError("--sweep and --pipeline are two different measurements: give one")
    if pipeline and plot_path:
        raise click.UsageError("--plot draws throughput against length: it goes with --sweep or -n, not --pipeline")
    if pipeline and len(lengths) > 1:
        raise click.UsageError("--pipeline times one length: give -n once")
    plots.check_targets(plot_path, out.force)
    if pipeline:
        rows = benchmarks.pipeline(schemes or PIPELINE_SCHEMES, PIPELINE_PEER_CODE, sources,
                                   lengths[0] if lengths else benchmarks.PIPELINE_LENGTH, seed, repeats)
        out(report.pipeline_table(rows, out.fmt, seed))
        _require_verified(rows)
        return
    hint = benchmarks.missing_peers_hint() if peers else None
    if hint:
        click.echo(hint, err=True)  # stderr, so that --format json stays valid JSON on stdout
    lengths = lengths or (benchmarks.SWEEP_LENGTHS if sweep else (10**6,))
    run = benchmarks.benchmark(schemes or (registry.ALL,), sources, lengths, repeats, seed, peers=peers)
    out(report.bench_table(run, out.fmt, by_length=sweep))
    if plot_path:
        plots.save(plots.bench_figure(run.rows, run.lane_threshold), plot_path, out.force)
        click.echo(f"figure: {plot_path}", err=True)
    _require_verified(run.rows)


OUTPUT = click.option("-o", "--output", required=True, help="Output file ('-' for standard output).")
FORCE = click.option("--force", is_flag=True, help="Overwrite an existing output file.")


@main.command()
@click.argument("scenario", type=InputFile())
@click.option("--length", "-n", type=Count(), help="Symbols to draw (default: the scenario's length).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the scenario's; printed on stderr).")
@click.option("--format", "fmt", type=click.Choice(streamio.FORMATS),
              help="text (one label per line) or npy; default from the file name.")
@OUTPUT
@FORCE
def sample(scenario, length, seed, fmt, output, force):
    """Draw a message stream from the scenario's source p and write its labels.

    The stream is the one `codesim run` codes in its first trial with the same length and seed.

    \b
    Example:
        codesim sample scenarios/nasa-temperature.toml -n 1000 -o symbols.txt
    """
    done = coding.sample(scenario, output, length=length, seed=seed, fmt=fmt, force=force)
    click.echo(done.summary, err=True)


@main.command()
@scenario_input
@click.option("--model", help="The model q to build the code from (needed when the scenario has several).")
@click.option("--scheme", "scheme", type=Scheme(groups=False), default="huffman", show_default=True,
              help="Scheme, with parameters as name:k=v,...")
@click.option("--length", "-n", type=Count(), help="Symbols to draw (default: the scenario's length).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the drawn stream.")
@click.option("--input", "input_path", help="Encode this symbol file (labels, text or .npy) instead of drawing.")
@OUTPUT
@FORCE
def encode(scenario, model, scheme, length, seed, input_path, output, force):
    """Encode a message stream with a code built from a model q, into a .csim file.

    The stream is drawn from the scenario's source (as `codesim sample` draws it), or read from
    --input. The file records the code, the alphabet, q and p, so `codesim decode` and
    `codesim inspect` need nothing else. Instead of a SCENARIO file, the data can be given as
    options, as for `codesim run`.

    \b
    Examples:
        codesim encode scenarios/nasa-temperature.toml --model uniform --scheme huffman -o stream.csim
        codesim encode --p 0.9,0.1 --q 0.5,0.5 --scheme arithmetic -n 1000 -o coin.csim
    """
    streamio.check_target(output, force)  # before the data options' files are read
    done = coding.encode(scenario(), output, scheme, model=model, length=length, seed=seed, input_path=input_path,
                         force=force)
    click.echo(done.summary)


@main.command()
@click.argument("stream_file", metavar="FILE.csim", type=InputFile())
@click.option("--format", "fmt", type=click.Choice(streamio.FORMATS),
              help="Output format; default: the one the output's name ends in (.txt, .npy), else that of the "
                   "file encode --input read, else text.")
@OUTPUT
@FORCE
def decode(stream_file, fmt, output, force):
    """Decode a .csim file and write the symbols' labels back.

    The format is --format, else the one the output's name ends in (.txt: text, .npy: npy), else
    (any other name, and -o -) that of the file `codesim encode --input` read, else text. In that
    file's own format the stream is written back byte for byte as it was read. npy is never written
    to a terminal. A corrupt, truncated or foreign file is an error, and no output is written.

    \b
    Example:
        codesim decode stream.csim -o decoded.txt
    """
    done = coding.decode(stream_file, output, fmt=fmt, force=force)
    click.echo(f"decoded {counted(done.symbols, 'symbol')} from {done.source} -> {done.output}", err=True)


@main.command()
@click.argument("stream_file", metavar="FILE.csim", type=InputFile())
@click.option("--symbols", "-k", "limit", type=click.IntRange(0, MAX_TRACE_SYMBOLS), default=20, show_default=True,
              help="How many symbols to show in the annotated view.")
@output_options
@click.option("--plot", "plot_path", metavar="FILE",
              help="Also draw the code lengths against -log2 q to this .png or .svg file (needs matplotlib).")
def inspect(stream_file, limit, out, plot_path):
    """Show what a .csim file holds: header and checksums, the code table, and the first symbols
    with their codewords (or intervals, for arithmetic coding), bit positions, costs, and running
    totals of bits against the ideal length sum -log2 q(x).

    \b
    Example:
        codesim inspect stream.csim --symbols 10
    """
    plots.check_targets(plot_path, out.force)
    doc, problem = inspect_file(stream_file, limit)
    out(report.inspection(doc, out.fmt))
    if plot_path and doc.get("table"):
        plots.save(plots.code_figure(doc["table"], f"{doc['scheme']} code of {stream_file}", doc["scheme"]), plot_path,
                   out.force)
        click.echo(f"figure: {plot_path}", err=True)
    if problem:
        raise click.ClickException(problem)


@main.command("report")
@scenario_input
@run_options
@OUTPUT
@FORCE
@click.option("--format", "fmt", type=click.Choice(page.FORMATS),
              help="html or markdown; default from the output's name (.md: markdown).")
@click.option("--converge", "with_converge", is_flag=True,
              help="Also run converge (lengths 10, 100, ... up to the run's length) and show its figure.")
@click.option("--sweep", "with_sweep", is_flag=True,
              help="Also run sweep (q_t = (1-t) q + t p for t = 0, 0.1, ..., 1) and show its figure.")
def report_page(scenario, length, trials, seed, schemes, models, jobs, block, quiet, output, force, fmt,
                with_converge, with_sweep):
    """Run a scenario and write one self-contained page: the scenario, the results table, the
    figures embedded, and a paragraph per model saying what the numbers show. Needs matplotlib
    (pip install 'codesim[plot]').

    \b
    Examples:
        codesim report scenarios/nasa-temperature.toml -o nasa.html
        codesim report scenarios/nasa-temperature.toml --converge --sweep -n 2000 -o nasa-studies.html
    """
    plots.require()
    fmt = fmt or ("markdown" if output.lower().endswith(".md") else "html")  # as decode reads .NPY
    streamio.check_target(output, force)
    sc = _scenario(scenario, models, length, trials, seed, schemes, block)
    measurements = _simulate(sc, jobs, quiet)
    studies = page.studies(sc, with_converge, with_sweep, jobs, _progress(quiet, sc))
    text = page.render(fmt, sc, measurements, page.figures_for(sc, measurements), report.summary(measurements),
                       command=page.command_line(), studies=studies)
    streamio.write_output(output, text.encode("utf-8"), force)
    click.echo(f"report: {output}", err=True)


SCHEDULER = click.option("--scheduler", metavar="ADDRESS",
                         help="Run the tasks on Dask: 'local' (a cluster of --jobs processes on this machine) "
                              "or tcp://HOST:PORT of a running scheduler (pip install 'codesim[distributed]').")
def _progress(quiet: bool, sc: Scenario):
    what = running(click.get_current_context().info_name, [s.label for s in sc.run.schemes], list(sc.models))
    return lambda total: Progress(total, "tasks", enabled=False if quiet else None, what=what)


@main.command()
@scenario_input
@click.option("--lengths", type=Lengths(), help="Stream lengths, e.g. 10,100,1000 (default: 10, 100, ... up "
                                              "to the scenario's length).")
@run_options
@SCHEDULER
@output_options
@PLOT
def converge(scenario, lengths, length, trials, seed, schemes, models, jobs, block, quiet, scheduler, out,
             plot_path):
    """Watch bits per symbol and the running average of log2 p(x)/q(x) settle as one stream grows.

    For each model and scheme, the first L symbols of each trial's stream are coded for every length
    L: measured bits per symbol converge to the code's expected length (H(p,q) for coders that
    spend -log2 q(x)), and the average log-likelihood ratio to D(p||q), with 95% confidence bands
    across trials. A scheme that learns takes no model: it is coded once per length, and its rows
    have no model figures.

    \b
    Example:
        codesim converge scenarios/nasa-temperature.toml --model uniform --lengths 10,100,1000,10000
    """
    plots.check_targets(plot_path, out.force)
    sc = _scenario(scenario, models, length, trials, seed, schemes, block)
    found = experiments.converge(sc, lengths, schemes=sc.run.schemes, jobs=jobs, scheduler=scheduler,
                                 block=sc.run.block,
                                 progress=_progress(quiet, sc))
    out(report.converge_points(out.fmt, report.header(sc), found, sc.title))
    if plot_path:
        plots.save(plots.converge_figure(found, sc.title), plot_path, out.force)
        click.echo(f"figure: {plot_path}", err=True)
    _require_verified(found)


@main.command()
@scenario_input
@click.option("--mix", help="Mixtures q_t = (1-t) q + t p for t = START:STOP:COUNT (e.g. 0:1:21) or t1,t2,...")
@click.option("--param", "params", multiple=True, metavar="NAME=V1,V2,...",
              help="Sweep a scheme parameter (e.g. k=1,2,3 for block-huffman); repeatable. A selected scheme "
                   "that has none of the swept parameters is left out, with a line on stderr.")
@run_options
@SCHEDULER
@output_options
@PLOT
def sweep(scenario, mix, params, length, trials, seed, schemes, models, jobs, block, quiet, scheduler, out,
          plot_path):
    """Sweep the models towards the truth, q_t = (1-t) q + t p, or a scheme parameter, and measure the
    excess bits per symbol at every step.

    The stream coders follow the smooth curve D(p||q_t); Huffman's whole-bit lengths move in steps
    and can dip below it. Every (model, t, trial) is a task with its own seed derived from the run's
    seed, so results do not depend on where or in which order tasks run (--jobs, --scheduler).

    With --param, every selected scheme that has the parameter runs once per value; one that has
    none of the swept parameters is left out with a line on stderr naming it, and if no selected
    scheme has one, that is an error.

    \b
    Examples:
        codesim sweep scenarios/nasa-temperature.toml --model uniform --mix 0:1:21
        codesim sweep scenarios/nasa-temperature.toml --model matched --scheme block-huffman --param k=1,2,3
    """
    if mix is None and not params:
        raise click.UsageError("give --mix, --param or both")
    plots.check_targets(plot_path, out.force)
    sc = _scenario(scenario, models, length, trials, seed, schemes, block)
    try:
        ts = experiments.parse_mix(mix) if mix is not None else None
    except CodesimError as exc:
        raise click.BadParameter(str(exc), param_hint="'--mix'") from None
    try:
        swept = experiments.parse_params(params) or None
    except CodesimError as exc:
        raise click.BadParameter(str(exc), param_hint="'--param'") from None
    left_out = experiments.unswept(sc.run.schemes, swept) if swept else []
    if left_out:
        click.echo("\n".join(left_out), err=True)
    found = experiments.sweep(sc, mix=ts, params=swept, schemes=sc.run.schemes, jobs=jobs, scheduler=scheduler,
                              block=sc.run.block, progress=_progress(quiet, sc))
    out(report.sweep_points(out.fmt, report.header(sc), found, sc.title))
    if plot_path:
        plots.save(plots.sweep_figure(found, sc.title), plot_path, out.force)
        click.echo(f"figure: {plot_path}", err=True)
    _require_verified(found)
