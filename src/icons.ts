import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="3" width="6" height="5" rx="1"/>
    <rect x="16" y="3" width="6" height="5" rx="1"/>
    <rect x="9" y="16" width="6" height="5" rx="1"/>
    <rect x="2" y="16" width="6" height="5" rx="1" opacity="0.6"/>
    <rect x="16" y="16" width="6" height="5" rx="1" opacity="0.6"/>
    <path d="M11 3h2v6h6v3h-2v-1H7v1H5V9h6z"/>
  </g>
</svg>`;

/** The nbgrid icon: one notebook fanned out over a grid of workers. */
export const nbgridIcon = new LabIcon({ name: 'jupyterlab-nbgrid:grid', svgstr: svg });
