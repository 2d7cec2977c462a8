import './base.css';
import './reduce.css';
