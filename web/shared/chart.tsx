import { BarChart, FunnelChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

// Only the chart kinds the pages draw: a third of the full bundle.
echarts.use([BarChart, LineChart, PieChart, FunnelChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

/** The ECharts option a chart draws (the library's own type). */
export type ChartOption = echarts.EChartsCoreOption;

/**
 * One ECharts instance on a div, its option replaced on change (merged: the chart animates from the
 * old values to the new) and resized with the div.
 */
export function Chart({ option, height = 220, testId }: { option: ChartOption; height?: number; testId?: string }) {
  const div = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!div.current) return;
    const instance = echarts.init(div.current, undefined, { renderer: "canvas" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(div.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: false, lazyUpdate: true });
  }, [option]);
  return <div ref={div} className="chart" style={{ height }} data-testid={testId} />;
}
