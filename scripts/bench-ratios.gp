# SPDX-License-Identifier: GPL-2.0
#
# The plot of `make bench`: layerfs/overlay, layerfs/native and
# layerfs/layerfs-noidx (nameindex=off, workload 2) per metric.
#
#   gnuplot -c scripts/bench-ratios.gp RATIOS.DAT RATIOS.SVG
#
# RATIOS.DAT is what scripts/bench-summary writes: one line per metric,
# "label" layerfs/overlay layerfs/native [layerfs/noidx] (NaN where
# there is none; the last column only when some metric has it). The plot
# grows by 18 pixels per metric; the log scale spans
# 1/1024 to 4096 (lookups through 4096 layers against native, negative
# dentries against overlay), bars beyond it are cut.

stats ARG1 using 0 nooutput
n = STATS_records
cols = STATS_columns

set terminal svg size 1200,200 + 18 * n dynamic font "sans,10"
set output ARG2
set title "layerfs/overlay, layerfs/native and layerfs/noidx (guest time, medians; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -60 nomirror font ",8"
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
set logscale y 2
set yrange [1.0 / 1024:4096]
set ytics ("1/1024" 1.0 / 1024, "1/32" 1.0 / 32, "1" 1, "32" 32, "1024" 1024) nomirror
if (cols > 3) {
	plot ARG1 using 2:xtic(1) title "layerfs/overlay", \
		'' using 3 title "layerfs/native", '' using 4 title "layerfs/noidx"
} else {
	plot ARG1 using 2:xtic(1) title "layerfs/overlay", \
		'' using 3 title "layerfs/native"
}
