import { init, use } from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridSimpleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
use([BarChart, GridSimpleComponent, CanvasRenderer]);
window.echarts = { init: init };
