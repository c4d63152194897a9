# SPDX-License-Identifier: GPL-2.0
#
# The plot of `make bench`: layerfs/overlay and layerfs/native per metric.
#
#   gnuplot -c scripts/bench-ratios.gp RATIOS.DAT RATIOS.SVG
#
# RATIOS.DAT is what scripts/bench-summary writes: one line per metric,
# "label" layerfs/overlay layerfs/native (NaN where there is none). The
# plot grows by 18 pixels per metric.

stats ARG1 using 0 nooutput
n = STATS_records

set terminal svg size 1200,200 + 18 * n dynamic font "sans,10"
set output ARG2
set title "layerfs/overlay and layerfs/native (guest time, medians; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ytics nomirror
set xtics rotate by -60 nomirror font ",8"
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
set logscale y 2
set yrange [0.125:64]
plot ARG1 using 2:xtic(1) title "layerfs/overlay", '' using 3 title "layerfs/native"
