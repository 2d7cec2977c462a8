import './base.css';
import './row-actions.css';
