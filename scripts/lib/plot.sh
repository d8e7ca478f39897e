# shellcheck shell=bash disable=SC2034  # variables set here are used by the scripts
# scripts/lib/plot.sh — shared by scripts/plot-* and scripts/report (sourced,
# not run). Argument parsing, run-directory checks, legend labels from
# summary.json, CSV column selection by name, the gnuplot terminal chosen by
# the output's extension, and rendering to a temporary file in the target
# directory that is renamed into place only when gnuplot succeeded.
#
# A plot script sets PLOT_USAGE (its --help text) and optionally PLOT_FLAGS
# (extra boolean options, e.g. (--log-y)), then calls plot_parse_args "$@".
# Exit codes: 0 ok, 1 failure (gnuplot missing or failing, I/O), 2 bad
# arguments (usage, missing or incomplete run directory, bad -o), 3 a
# damaged run directory (a file that is there but malformed; the message is
# "FILE:LINE: what is wrong"). See docs/plots.md.
#
# Paths are data, never options or programs: every file is read through a
# redirection (awk would take an operand "heap=1M/pauses.csv" as a variable
# assignment and read stdin; sed or mktemp would take "-x/..." as an
# option), paths reach awk through ENVIRON (-v would expand backslashes) and
# gnuplot only as single-quoted string literals (plot_q), which gnuplot does
# not expand; double-quoted ones run `commands` in backquotes.

PLOT_PROG=${0##*/}
GNUPLOT=${GNUPLOT:-gnuplot}

# Colours: one per pause kind (the same in every plot), one per collector
# (by order of first appearance) for the plots that draw a curve or points
# per configuration, or one per run with --no-group (Okabe-Ito, colour-blind
# safe).
declare -A PLOT_KIND_COLOR=(
    [full]='#0072B2' [minor]='#009E73' [major]='#D55E00'
    [cycle]='#CC79A7' [rc-cascade]='#E69F00'
)
PLOT_KIND_ORDER=(full minor major cycle rc-cascade)
PLOT_OTHER_COLOR='#777777'
PLOT_RUN_COLORS=('#0072B2' '#D55E00' '#009E73' '#CC79A7' '#E69F00' '#56B4E9' '#000000')
# Pause phases (plot-phases): more of them than runs, all told apart; other
# gets PLOT_OTHER_COLOR.
PLOT_PHASE_COLORS=('#0072B2' '#E69F00' '#009E73' '#CC79A7' '#56B4E9' '#D55E00' '#F0E442'
                   '#332288' '#882255' '#44AA99' '#999933' '#AA4499' '#88CCEE' '#117733')
# Filled point types per run: circle, square, triangle up/down, diamond,
# pentagon; each type minus 1 is the same shape open (plot-heap uses both).
PLOT_RUN_POINTS=(7 5 9 11 13 15)

# The run-directory files and columns each plot reads (for plot_check_runs).
declare -A PLOT_NEEDS=(
    [pauses]="pauses.csv:start_ns,duration_ns,kind"
    [cdf]="pauses.csv:duration_ns"
    [mmu]="mmu.csv:window_ns,utilization"
    [heap]="heap.csv:time_ns,heap_before_bytes,heap_after_bytes"
    [phases]="pauses.csv:duration_ns,other_ns"
)

# What identifies a configuration: the summary.json keys of `gcbench compare`
# (bench/compare.c, gcb_compare_config_keys; docs/output-formats.md). Runs
# whose values of all of these are the same (or absent alike) are
# repetitions of one configuration.
PLOT_CONFIG_KEYS=(collector collector_options workload program size heap_limit_bytes threads
                  seed verify stress debug_corrupt max_steps huge_pages nursery_option_bytes
                  rc_cycles)

# Canvas size in pixels (plot_terminal); plot_key_fit grows it so that the
# legend fits.
PLOT_WIDTH=1200 PLOT_HEIGHT=700

plot_die() { echo "$PLOT_PROG: $*" >&2; exit 1; }
# plot_damaged FILE LINE MESSAGE: a damaged run-directory file; exit 3.
plot_damaged() { echo "$PLOT_PROG: $1:$2: $3" >&2; exit 3; }
plot_usage_error() {
    echo "$PLOT_PROG: $*" >&2
    echo "Try '$PLOT_PROG --help'." >&2
    exit 2
}

# plot_parse_args "$@" -> RUNS (array), OUT, TITLE, PLOT_FLAG[--flag]=1.
# Accepts -o FILE, -o=FILE, --output=FILE, --title T, --title=T, --help,
# the flags in PLOT_FLAGS, and "--" before run directories that start with -.
PLOT_FLAGS=()
declare -A PLOT_FLAG=()
plot_parse_args() {
    RUNS=() OUT="" TITLE=""
    local have_out=0 only_dirs=0 a f
    while (($#)); do
        a=$1
        shift
        if ((only_dirs)); then RUNS+=("$a"); continue; fi
        case $a in
            -h | --help) printf '%s\n' "$PLOT_USAGE"; exit 0 ;;
            -o | --output | --title)
                (($#)) || plot_usage_error "option $a needs a value"
                if [ "$a" = --title ]; then TITLE=$1; else OUT=$1 have_out=1; fi
                shift ;;
            -o=* | --output=*) OUT=${a#*=} have_out=1 ;;
            --title=*) TITLE=${a#*=} ;;
            --) only_dirs=1 ;;
            -*)
                for f in "${PLOT_FLAGS[@]}"; do
                    if [ "$a" = "$f" ]; then PLOT_FLAG[$f]=1; continue 2; fi
                done
                plot_usage_error "unknown option '$a'" ;;
            *) RUNS+=("$a") ;;
        esac
    done
    ((${#RUNS[@]})) || plot_usage_error "no run directories given"
    if ((!have_out)) || [ -z "$OUT" ]; then plot_usage_error "no output given (-o FILE)"; fi
    [[ $OUT != *$'\n'* ]] || plot_usage_error "the output name contains a line break"
    for a in "${RUNS[@]}"; do
        [ -n "$a" ] || plot_usage_error "an empty run directory name"
    done
}

# plot_check_output: OUT must end in .png or .svg and its directory exist.
# Sets PLOT_FORMAT (png|svg).
plot_check_output() {
    case $OUT in
        *.png) PLOT_FORMAT=png ;;
        *.svg) PLOT_FORMAT=svg ;;
        *) plot_usage_error "unsupported output '$OUT': the name must end in .png or .svg" ;;
    esac
    [ ! -d "$OUT" ] || plot_usage_error "output '$OUT' is a directory"
    local dir
    dir=$(dirname -- "$OUT")
    [ -d "$dir" ] || plot_usage_error "output directory '$dir' does not exist"
}

plot_require_gnuplot() {
    command -v "$GNUPLOT" >/dev/null 2>&1 ||
        plot_die "gnuplot not found ('$GNUPLOT'); install gnuplot-nox (scripts/setup --deps)"
}

# plot_csv_header FILE -> the header row, without a trailing CR.
plot_csv_header() { local h; IFS= read -r h <"$1" || true; printf '%s' "${h%$'\r'}"; }

# plot_file_lines FILE -> PLOT_LINES, the number of lines of FILE counting a
# last line without a newline, and PLOT_INCOMPLETE=1 if there is such a line.
plot_file_lines() {
    PLOT_LINES=$(wc -l <"$1") || plot_die "cannot read '$1'"
    PLOT_INCOMPLETE=0
    if [ -s "$1" ] && [ "$(tail -c 1 <"$1" | wc -l)" -eq 0 ]; then
        PLOT_INCOMPLETE=1 PLOT_LINES=$((PLOT_LINES + 1))
    fi
}

# plot_check_csv FILE: every row of a run-directory CSV file is well formed:
# as many fields as the header, whole numbers (at most 20 digits) in the
# columns seq, *_ns and *_bytes, a number 0..1 in utilization (window_ns
# ascending), a name ([A-Za-z0-9_-]+) in kind and reason, no empty lines, and
# a newline after the last line (else the file was cut off). Columns it does
# not know (later versions may append some) are only counted. A CR before a
# newline (RFC 4180 line ends) is allowed. Exit 3 with FILE:LINE otherwise.
plot_check_csv() {
    local file=$1 rc=0
    plot_file_lines "$file"
    [ -s "$file" ] || plot_damaged "$file" 1 "empty file (expected a header row)"
    PLOT_F=$file PLOT_P=$PLOT_PROG awk -F, -v lines="$PLOT_LINES" -v incomplete="$PLOT_INCOMPLETE" '
        function bad(msg) {
            printf "%s: %s:%d: %s\n", ENVIRON["PLOT_P"], ENVIRON["PLOT_F"], NR, msg
            failed = 1; exit 3 }
        function show(v) { return length(v) > 40 ? substr(v, 1, 40) "..." : v }
        NR == lines && incomplete {
            bad("the last line is incomplete (no newline at its end: a truncated file?)") }
        { sub(/\r$/, "") }
        NR == 1 {
            nf = NF
            if (NF == 0) bad("empty header row")
            for (i = 1; i <= NF; i++) {
                name[i] = $i
                if ($i == "") bad("column " i " of the header has no name")
                if ($i == "seq" || $i ~ /_(ns|bytes)$/) type[i] = "count"
                else if ($i == "utilization") type[i] = "fraction"
                else if ($i == "kind" || $i == "reason") type[i] = "name"
                if ($i == "window_ns") win = i
            }
            next }
        NF == 0 { bad("empty line (expected a row of " nf " fields)") }
        NF != nf { bad(NF " field" (NF == 1 ? "" : "s") ", but the header has " nf) }
        {
            for (i = 1; i <= nf; i++) {
                v = $i
                if (type[i] == "count") {
                    if (v !~ /^[0-9]+$/ || length(v) > 20)
                        bad(name[i] " is \"" show(v) "\", not a whole number")
                } else if (type[i] == "fraction") {
                    if (v !~ /^([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/ || v + 0 > 1)
                        bad(name[i] " is \"" show(v) "\", not a number from 0 to 1")
                } else if (type[i] == "name") {
                    if (v !~ /^[A-Za-z0-9_-]+$/)
                        bad(name[i] " is \"" show(v) "\", not a name ([A-Za-z0-9_-]+)")
                }
            }
            if (win) {
                if (NR > 2 && $win + 0 <= last_win) bad("window_ns " $win " does not follow " last_win " in ascending order")
                last_win = $win + 0
            }
        }
        END { if (failed) exit 3 }' <"$file" >&2 || rc=$?
    ((rc == 0)) || { ((rc == 3)) && exit 3; plot_die "cannot check '$file' (awk exit $rc)"; }
}

# plot_check_summary RUN: RUN/summary.json is complete ("{" ... "}" and a
# newline at the end) and has the top-level keys the plots read, of the
# right type: collector and workload (non-empty strings), heap_limit_bytes
# (a positive whole number), wall_ns (a whole number), collector_options (a
# string, if there: older summaries lack it). Exit 3 with FILE:LINE otherwise.
plot_check_summary() {
    local file=$1/summary.json rc=0
    plot_file_lines "$file"
    [ -s "$file" ] || plot_damaged "$file" 1 "empty file (expected a JSON object)"
    PLOT_F=$file PLOT_P=$PLOT_PROG awk -v lines="$PLOT_LINES" -v incomplete="$PLOT_INCOMPLETE" '
        function bad(line, msg) {
            printf "%s: %s:%d: %s\n", ENVIRON["PLOT_P"], ENVIRON["PLOT_F"], line, msg
            failed = 1; exit 3 }
        function show(v) { return length(v) > 40 ? substr(v, 1, 40) "..." : v }
        BEGIN {
            want["collector"] = "string"; want["workload"] = "string"
            want["heap_limit_bytes"] = "positive"; want["wall_ns"] = "count"
            want["collector_options"] = "string?"
        }
        NR == lines && incomplete {
            bad(NR, "the last line is incomplete (no newline at its end: a truncated file?)") }
        { sub(/\r$/, "") }
        NR == 1 && $0 != "{" { bad(NR, "expected \"{\" (a summary.json written by gcbench --out)") }
        { last = $0 }
        /^  "[a-z_]+": / {
            key = $0; sub(/^  "/, "", key); sub(/".*/, "", key)
            if (!(key in want)) next
            if (key in seen) bad(NR, "a second \"" key "\" key (the first is on line " seen[key] ")")
            seen[key] = NR
            v = $0; sub(/^  "[a-z_]+": */, "", v); sub(/,$/, "", v)
            t = want[key]
            if (t ~ /^string/) {
                if (v !~ /^"([^"\\]|\\.)*"$/) bad(NR, "\"" key "\" is " show(v) ", not a string")
                if (t == "string" && v == "\"\"") bad(NR, "\"" key "\" is empty")
            } else if (v !~ /^[0-9]+$/ || length(v) > 20 || (t == "positive" && v + 0 == 0)) {
                bad(NR, "\"" key "\" is " show(v) ", not a " (t == "positive" ? "positive " : "") "whole number")
            }
        }
        END {
            if (failed) exit 3
            if (last != "}") bad(NR, "the file ends before its closing \"}\" (a truncated file?)")
            for (key in want)
                if (want[key] !~ /[?]$/ && !(key in seen)) bad(NR, "no \"" key "\" key in the file")
        }' <"$file" >&2 || rc=$?
    ((rc == 0)) || { ((rc == 3)) && exit 3; plot_die "cannot check '$file' (awk exit $rc)"; }
}

# plot_check_runs FILE:col,col... : every run directory exists, has a
# summary.json (a complete run) and each FILE; each of those files is
# checked row by row (plot_check_summary, plot_check_csv), then each FILE
# for at least those columns; all before anything is drawn.
plot_check_runs() {
    local run spec file cols col header
    local -A checked=()
    for run in "${RUNS[@]}"; do
        [ -d "$run" ] || plot_usage_error "run directory '$run' does not exist"
        [ -f "$run/summary.json" ] ||
            plot_usage_error "'$run' is not a complete run directory (no summary.json; see gcbench --out)"
        for spec in "$@"; do
            file=${spec%%:*}
            [ -f "$run/$file" ] ||
                plot_usage_error "'$run' has no $file (written by gcbench --out; this plot needs it)"
        done
    done
    for run in "${RUNS[@]}"; do
        plot_check_summary "$run"
        for spec in "$@"; do
            file=$run/${spec%%:*} cols=${spec#*:}
            if [ -z "${checked[$file]:-}" ]; then
                plot_check_csv "$file"
                checked[$file]=1
            fi
            header=",$(plot_csv_header "$file"),"
            for col in ${cols//,/ }; do
                [[ $header == *",$col,"* ]] ||
                    plot_usage_error "'$file' has no column '$col'"
            done
        done
    done
}

# plot_json DIR KEY -> the value of a top-level key of DIR/summary.json
# (gcbench writes one key per line; string quotes removed, \" and \\
# unescaped).
plot_json() {
    PLOT_K=$2 awk '
        index($0, "  \"" ENVIRON["PLOT_K"] "\": ") == 1 {
            v = substr($0, length(ENVIRON["PLOT_K"]) + 7); sub(/\r$/, "", v); sub(/,$/, "", v)
            if (v ~ /^".*"$/) {
                v = substr(v, 2, length(v) - 2); out = ""
                while ((i = index(v, "\\")) > 0) { out = out substr(v, 1, i - 1) substr(v, i + 1, 1); v = substr(v, i + 2) }
                v = out v
            }
            print v; exit }' <"$1/summary.json"
}

# plot_bytes N -> "64 MiB", "1.5 GiB", "512 KiB", "100 B".
plot_bytes() {
    awk -v b="$1" 'BEGIN {
        split("B KiB MiB GiB TiB", u, " "); i = 1
        while (b >= 1024 && i < 5) { b /= 1024; i++ }
        printf (b == int(b) ? "%d %s" : "%.1f %s"), b, u[i] }'
}

# plot_labels -> LABELS[i] "collector / workload / heap" for RUNS[i], the
# collector with its options if it had any ("generational:nursery=1M"); a
# label shared by several runs gets the directory name (or the path) appended.
plot_labels() {
    LABELS=()
    local i j run dup opts
    for run in "${RUNS[@]}"; do
        opts=$(plot_json "$run" collector_options)     # none in older summaries
        LABELS+=("$(plot_json "$run" collector)${opts:+:$opts} / $(plot_json "$run" workload) / $(plot_bytes "$(plot_json "$run" heap_limit_bytes)")")
    done
    local -a base=("${LABELS[@]}")
    for i in "${!RUNS[@]}"; do
        dup=0
        for j in "${!RUNS[@]}"; do
            [ "$i" != "$j" ] && [ "${base[i]}" = "${base[j]}" ] && dup=1
        done
        ((dup)) && LABELS[i]="${base[i]} ($(basename -- "${RUNS[i]}"))"
    done
    for i in "${!RUNS[@]}"; do       # same directory names too: use the path
        for j in "${!RUNS[@]}"; do
            if [ "$i" != "$j" ] && [ "${LABELS[i]}" = "${LABELS[j]}" ]; then
                LABELS[i]="${base[i]} (${RUNS[i]%/})"
            fi
        done
    done
    LABELS=("${LABELS[@]//[[:cntrl:]]/?}")     # a label is one line
}

# plot_config RUN -> the run's configuration: one "KEY=RAW" line per key of
# PLOT_CONFIG_KEYS present in RUN/summary.json, RAW the value as written
# (strings with their quotes, so "" and absent differ).
plot_config() {
    PLOT_KEYS="${PLOT_CONFIG_KEYS[*]}" awk '
        BEGIN { n = split(ENVIRON["PLOT_KEYS"], k, " "); for (i = 1; i <= n; i++) want[k[i]] = 1 }
        /^  "[a-z_]+": / {
            key = $0; sub(/^  "/, "", key); sub(/".*/, "", key)
            if (!(key in want)) next
            v = $0; sub(/\r$/, "", v); sub(/^  "[a-z_]+": */, "", v); sub(/,$/, "", v)
            val[key] = v }
        END { for (i = 1; i <= n; i++) if (k[i] in val) print k[i] "=" val[k[i]] }' <"$1/summary.json"
}

# plot_groups -> the runs grouped by configuration (unless --no-group is
# given and listed in PLOT_FLAGS), in order of each configuration's first
# run on the command line:
#   NGROUPS; GROUP_OF[i] (run i's group); GROUP_RUNS[g] (its run indices,
#   space-separated, in command-line order); GROUP_N[g];
#   GROUP_LABEL[g]: "collector[:options] / workload / heap", with the other
#     configuration keys that tell it from a group of the same label
#     appended as " (key=value, ...)"; with --no-group the run's LABELS[i];
#   GROUP_COLOR[g]: the colour of its collector (collectors take
#     PLOT_RUN_COLORS in order of first appearance; with --no-group, runs do);
#   GROUP_DT[g], GROUP_PT[g]: dash type and point type telling apart the
#     configurations of one collector (the k-th of a collector gets the k-th).
# Call after plot_labels.
plot_groups() {
    local i g k run conf c nc=${#PLOT_RUN_COLORS[@]}
    local -a confs=() collectors=() base=() kth=() cidx=()
    local -A seen_coll=()
    NGROUPS=0 GROUP_OF=() GROUP_RUNS=() GROUP_N=() GROUP_LABEL=() GROUP_COLOR=() GROUP_DT=() GROUP_PT=()
    for i in "${!RUNS[@]}"; do
        conf=""
        if [ -n "${PLOT_FLAG[--no-group]:-}" ]; then
            g=$NGROUPS
        else
            conf=$(plot_config "${RUNS[i]}")
            for ((g = 0; g < NGROUPS; g++)); do [ "${confs[g]}" = "$conf" ] && break; done
        fi
        if ((g == NGROUPS)); then
            confs[g]=$conf GROUP_N[g]=0 GROUP_RUNS[g]=""
            NGROUPS=$((NGROUPS + 1))
            base[g]=$(plot_json "${RUNS[i]}" collector)
            collectors[g]=${base[g]}
            [ -n "${seen_coll[${collectors[g]}]+x}" ] || seen_coll[${collectors[g]}]=${#seen_coll[@]}
            cidx[g]=${seen_coll[${collectors[g]}]}
            k=0
            for ((c = 0; c < g; c++)); do [ "${collectors[c]}" = "${collectors[g]}" ] && k=$((k + 1)); done
            kth[g]=$k
            GROUP_LABEL[g]=${LABELS[i]}
        fi
        GROUP_OF[i]=$g
        GROUP_RUNS[g]+="${GROUP_RUNS[g]:+ }$i"
        GROUP_N[g]=$((GROUP_N[g] + 1))
    done
    for ((g = 0; g < NGROUPS; g++)); do
        if [ -n "${PLOT_FLAG[--no-group]:-}" ]; then
            GROUP_COLOR[g]=${PLOT_RUN_COLORS[g % nc]}
            GROUP_DT[g]=$((g / nc % 5 + 1))
            GROUP_PT[g]=$(plot_run_point "$g")
            continue
        fi
        # More collectors than colours: the next round of them is dashed.
        k=$((kth[g] + cidx[g] / nc))
        GROUP_COLOR[g]=${PLOT_RUN_COLORS[cidx[g] % nc]}
        GROUP_DT[g]=$((k % 5 + 1))
        GROUP_PT[g]=$(plot_run_point "$k")
        run=${RUNS[${GROUP_RUNS[g]%% *}]}
        local opts
        opts=$(plot_json "$run" collector_options)
        GROUP_LABEL[g]="${collectors[g]}${opts:+:$opts} / $(plot_json "$run" workload) / $(plot_bytes "$(plot_json "$run" heap_limit_bytes)")"
    done
    [ -z "${PLOT_FLAG[--no-group]:-}" ] || return 0
    # Groups that share a label: append the keys whose values tell them apart.
    local -a plain=("${GROUP_LABEL[@]}")
    local h key v extra
    for ((g = 0; g < NGROUPS; g++)); do
        extra=""
        for ((h = 0; h < NGROUPS; h++)); do
            [ "$h" != "$g" ] && [ "${plain[h]}" = "${plain[g]}" ] && break
        done
        ((h < NGROUPS)) || continue
        for key in "${PLOT_CONFIG_KEYS[@]}"; do
            case $key in collector | collector_options | workload | heap_limit_bytes) continue ;; esac
            v=$(printf '%s\n' "${confs[g]}" | sed -n "s/^$key=//p")
            for ((h = 0; h < NGROUPS; h++)); do
                if [ "$h" = "$g" ] || [ "${plain[h]}" != "${plain[g]}" ]; then continue; fi
                if [ "$(printf '%s\n' "${confs[h]}" | sed -n "s/^$key=//p")" != "$v" ]; then
                    v=${v#\"} v=${v%\"}
                    extra+="${extra:+, }$key=${v:--}"
                    break
                fi
            done
        done
        [ -z "$extra" ] || GROUP_LABEL[g]+=" ($extra)"
    done
    GROUP_LABEL=("${GROUP_LABEL[@]//[[:cntrl:]]/?}")     # a label is one line
}

# plot_group_count G COUNTS NOUN -> how many NOUNs the runs of group G had,
# COUNTS being the name of an array of per-run counts indexed by run:
# "4 pauses" or "no pauses" for one run, "3 runs, 4 pauses each",
# "3 runs, 4 to 6 pauses" or "3 runs, no pauses" for several.
plot_group_count() {
    local g=$1 noun=$3 i lo="" hi=""
    local -n plot_gc_counts_=$2     # a name no caller uses (no circular reference)
    for i in ${GROUP_RUNS[g]}; do
        if [ -z "$lo" ] || ((plot_gc_counts_[i] < lo)); then lo=${plot_gc_counts_[i]}; fi
        if [ -z "$hi" ] || ((plot_gc_counts_[i] > hi)); then hi=${plot_gc_counts_[i]}; fi
    done
    if ((GROUP_N[g] == 1)); then
        if ((lo == 0)); then printf 'no %ss' "$noun"; else plot_count "$lo" "$noun"; fi
    elif ((hi == 0)); then printf '%d runs, no %ss' "${GROUP_N[g]}" "$noun"
    elif ((lo == hi)); then printf '%d runs, %s each' "${GROUP_N[g]}" "$(plot_count "$lo" "$noun")"
    else printf '%d runs, %d to %s' "${GROUP_N[g]}" "$lo" "$(plot_count "$hi" "$noun")"
    fi
}

# plot_group_style G [RUN_IN_GROUP] -> gnuplot line properties of group G:
# its colour and dash type; repetitions after a group's first run (K > 0)
# are drawn a little transparent, so that where they overlap shows.
plot_group_style() {
    local c=${GROUP_COLOR[$1]}
    if (("${2:-0}" > 0)); then c="#50${c#\#}"; fi
    printf "lc rgb '%s' dt %d" "$c" "${GROUP_DT[$1]}"
}

# plot_key_fit ROWS COLS CHARS: size the canvas so that a legend below the
# plot of ROWS rows and COLS columns, its longest entry CHARS characters,
# fits whole with the plot as large as before. gnuplot itself lays out the
# key from its estimate of the text size (pngcairo at 13 pt: 11 px a
# character, 24 px a row with spacing 1.2; SVG less), giving every column
# the width of the longest entry; a key wider than the canvas loses its
# outer columns (cut off at the edges: the entries "dropped" in PNG before
# issue 15), a taller one squeezes the plot to nothing. Sets PLOT_WIDTH,
# PLOT_HEIGHT and KEY_SET ("set key vertical maxrows ROWS": the entries
# fill each column top to bottom).
plot_key_fit() {
    local rows=$1 cols=$2 chars=$3 w h
    w=$((cols * (chars + 8) * 11 + 60)) h=$((580 + rows * 24))
    PLOT_WIDTH=$((w > 1200 ? w : 1200)) PLOT_HEIGHT=$((h > 700 ? h : 700))
    KEY_SET="set key vertical maxrows $((rows > 0 ? rows : 1))"
}

# plot_key_chars ENTRY... -> the length of the longest entry (characters).
plot_key_chars() {
    local e m=0
    for e in "$@"; do ((${#e} > m)) && m=${#e}; done
    echo "$m"
}

# plot_time_unit -> TIME_DIV (ns per unit), TIME_UNIT (ms|s), TIME_MAX (the
# longest run's wall time in that unit) and TIME_XRANGE, gnuplot commands for
# a time axis from 0 to TIME_MAX, or further if an event lies beyond it.
# Seconds once a run lasts >= 2 s.
plot_time_unit() {
    local run w max=0
    for run in "${RUNS[@]}"; do
        w=$(plot_json "$run" wall_ns)     # a whole number: plot_check_summary
        [[ $w =~ ^[0-9]+$ ]] || plot_damaged "$run/summary.json" 1 "no wall_ns"
        ((w > max)) && max=$w
    done
    if ((max >= 2000000000)); then TIME_DIV=1e9 TIME_UNIT=s; else TIME_DIV=1e6 TIME_UNIT=ms; fi
    TIME_MAX=$(awk -v m="$max" -v d="$TIME_DIV" 'BEGIN { printf "%.9g", m / d }')
    TIME_XRANGE="set xrange [0:$TIME_MAX<*]
set autoscale xfixmax"
}

# plot_csv FILE PROGRAM [awk args...]: run an awk PROGRAM over the data rows
# of a CSV file (read from stdin: see the top); col["name"] is the index of a
# column named in the header. Pass paths as environment variables, read as
# ENVIRON["NAME"], not with -v.
plot_csv() {
    local file=$1 prog=$2
    shift 2
    awk -F, "$@" 'NR == 1 { sub(/\r$/, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
                  { sub(/\r$/, "") }
                  '"$prog" <"$file"
}

# plot_work: a private scratch directory ($PLOT_WORK), removed on exit along
# with any unfinished output.
PLOT_WORK="" PLOT_TMP_OUT=""
plot_cleanup() {
    [ -z "$PLOT_TMP_OUT" ] || rm -f -- "$PLOT_TMP_OUT"
    [ -z "$PLOT_WORK" ] || rm -rf -- "$PLOT_WORK"
}
plot_work() {
    trap plot_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    PLOT_WORK=$(mktemp -d -- "${TMPDIR:-/tmp}/gcbench-plot.XXXXXX") ||
        plot_die "cannot create a temporary directory"
    # Absolute, so that awk never takes one of its files for an assignment.
    [[ $PLOT_WORK == /* ]] || PLOT_WORK=$PWD/$PLOT_WORK
    [[ $PLOT_WORK != *$'\n'* ]] || plot_die "the temporary directory '$PLOT_WORK' has a line break in its name (set TMPDIR)"
}

# plot_key_columns FIRST SECOND (array names): KEY (array of keyentries) and
# KEY_ROWS so that with "set key vertical maxrows $KEY_ROWS" the entries of
# FIRST fill the first column and those of SECOND the next one. gnuplot
# takes maxrows as a bound, makes ceil(entries / maxrows) columns and then
# balances the rows over them, so both columns are padded with blank
# entries to KEY_ROWS (else 20 runs and 3 kinds would come out as two
# columns of 12, kinds among the runs).
plot_key_columns() {
    local -n first=$1 second=$2
    local blank="keyentry with lines lc rgb '#ffffff' title ' '"
    KEY=("${first[@]}") KEY_ROWS=$((${#first[@]} > ${#second[@]} ? ${#first[@]} : ${#second[@]}))
    ((${#second[@]})) || return 0
    while ((${#KEY[@]} < KEY_ROWS)); do KEY+=("$blank"); done
    KEY+=("${second[@]}")
    while ((${#KEY[@]} < 2 * KEY_ROWS)); do KEY+=("$blank"); done
}

# plot_count N NOUN -> "1 pause", "3 pauses".
plot_count() { if (($1 == 1)); then printf '1 %s' "$2"; else printf '%s %ss' "$1" "$2"; fi; }

# plot_log_axis AXIS COLUMN FILE... -> gnuplot commands for a log AXIS (x|y)
# over the positive values of COLUMN in whitespace-separated data files:
# the range padded by a quarter decade each side (no wasted empty decades;
# 0.01..100 without data) and tick labels at 1, 2, 5 per decade, or at every
# digit when the range spans less than about one and a half decades. The
# files are in $PLOT_WORK (absolute paths: never taken for assignments).
plot_log_axis() {
    local axis=$1 col=$2
    shift 2
    awk -v a="$axis" -v c="$col" '
        $c > 0 { if (!n++ || $c < lo) lo = $c; if ($c > hi) hi = $c }
        END {
            if (n) { lo /= 1.8; hi *= 1.8 } else { lo = 0.01; hi = 100 }
            k = split(hi / lo > 30 ? "1 2 5" : "1 2 3 4 5 6 7 8 9", m, " ")
            printf "set logscale %s\nset %srange [%.6g:%.6g]\nset %stics (", a, a, lo, hi, a
            sep = ""
            for (e = int(log(lo) / log(10)) - 1; e <= int(log(hi) / log(10)) + 1; e++)
                for (i = 1; i <= k; i++)
                    if ((v = m[i] * 10 ^ e) >= lo && v <= hi) { printf "%s%.6g", sep, v; sep = ", " }
            print ")"
        }' "${@:-/dev/null}"
}

# plot_q STRING -> STRING as a gnuplot single-quoted string literal: gnuplot
# expands nothing in it ('' is a quote); a line break, which would end the
# command, becomes a space.
plot_q() {
    local s=${1//$'\n'/ }
    s=${s//$'\r'/ }
    printf "'%s'" "${s//\'/\'\'}"
}
# plot_qq STRING -> STRING as a gnuplot string expression, its first " / " a
# line break ("collector / workload / heap" on two lines): 'collector'."\n".
# 'workload / heap'. Never a double-quoted literal of the STRING: gnuplot
# runs `commands` in backquotes inside those.
plot_qq() {
    if [[ $1 == *" / "* ]]; then
        printf '%s."\\n".%s' "$(plot_q "${1%%" / "*}")" "$(plot_q "${1#*" / "}")"
    else
        plot_q "$1"
    fi
}

# plot_kind_color KIND -> its colour.
plot_kind_color() { printf '%s' "${PLOT_KIND_COLOR[$1]:-$PLOT_OTHER_COLOR}"; }

# plot_run_style I -> gnuplot line properties of run I (colour, dash).
plot_run_style() {
    local n=${#PLOT_RUN_COLORS[@]}
    printf "lc rgb '%s' dt %d" "${PLOT_RUN_COLORS[$1 % n]}" $(($1 / n % 5 + 1))
}
plot_run_point() { printf '%d' "${PLOT_RUN_POINTS[$1 % ${#PLOT_RUN_POINTS[@]}]}"; }

# plot_terminal -> the gnuplot "set terminal" line for PLOT_FORMAT. Labels
# come from user data, so enhanced text (x_1 as a subscript) is off.
plot_terminal() {
    case $PLOT_FORMAT in
        png) echo "set terminal pngcairo size $PLOT_WIDTH,$PLOT_HEIGHT noenhanced font 'Sans,13' linewidth 1.5" ;;
        svg) echo "set terminal svg size $PLOT_WIDTH,$PLOT_HEIGHT dynamic noenhanced font 'Sans,13' linewidth 1.5 background '#ffffff'" ;;
    esac
}

# Settings shared by every plot: grid, key outside the data on the right.
PLOT_COMMON="set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set key outside below center horizontal Left reverse samplen 2.5 spacing 1.2 width 2 height 1
set datafile missing 'NaN'"

# plot_render SCRIPT: run gnuplot on SCRIPT (commands after the terminal and
# output lines) writing to a temporary file beside OUT, then rename it to OUT.
# On failure the temporary file is removed and OUT is left untouched.
plot_render() {
    local dir base err rc=0
    dir=$(dirname -- "$OUT") base=$(basename -- "$OUT")
    PLOT_TMP_OUT=$(mktemp -- "$dir/.$base.XXXXXX") || plot_die "cannot write in '$dir'"
    err=$PLOT_WORK/gnuplot.err
    { plot_terminal
      echo "set output $(plot_q "$PLOT_TMP_OUT")"
      printf '%s\n' "$PLOT_COMMON" "$1"
      echo "unset output"
    } >"$PLOT_WORK/script.gp" || plot_die "cannot write in '$PLOT_WORK'"
    # For tests: GCBENCH_PLOT_SCRIPT=FILE keeps a copy of the gnuplot script.
    if [ -n "${GCBENCH_PLOT_SCRIPT:-}" ]; then
        cp -- "$PLOT_WORK/script.gp" "$GCBENCH_PLOT_SCRIPT" || plot_die "cannot write '$GCBENCH_PLOT_SCRIPT'"
    fi
    "$GNUPLOT" <"$PLOT_WORK/script.gp" >/dev/null 2>"$err" || rc=$?
    if ((rc != 0)) || [ ! -s "$PLOT_TMP_OUT" ]; then
        sed "s/^/$PLOT_PROG: gnuplot: /" <"$err" >&2
        plot_die "gnuplot failed (exit $rc); '$OUT' not written"
    fi
    sed "s/^/$PLOT_PROG: gnuplot: /" <"$err" >&2     # warnings, if any
    chmod -- "$(printf '%o' $((0666 & ~$(umask))))" "$PLOT_TMP_OUT"
    mv -f -- "$PLOT_TMP_OUT" "$OUT" || plot_die "cannot rename the plot to '$OUT'"
    PLOT_TMP_OUT=""
}

# plot_setup CHECK_SPEC...: the common start of a plot script after
# plot_parse_args: check -o, the run directories and gnuplot, then make the
# labels, the configurations (plot_groups) and the scratch directory.
plot_setup() {
    plot_check_output
    plot_check_runs "$@"
    plot_require_gnuplot
    plot_labels
    plot_groups
    plot_work
}
