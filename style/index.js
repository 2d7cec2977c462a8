import './base.css';
import './row-actions.css';
import './grid.css';
import './reduce.css';
import './schedules.css';
